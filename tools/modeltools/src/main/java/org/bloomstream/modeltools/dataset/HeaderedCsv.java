package org.bloomstream.modeltools.dataset;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;

/** The label files people bring (data sets, fitted embeddings), read as spreadsheets write them. */
public final class HeaderedCsv {
    private static final CSVFormat FORMAT =
            CSVFormat.DEFAULT
                    .builder()
                    .setHeader()
                    .setSkipHeaderRecord(true)
                    .setIgnoreEmptyLines(true)
                    .setTrim(true)
                    .get();

    private HeaderedCsv() {}

    /**
     * Parses a UTF-8 CSV whose first row names the columns: cells trimmed, blank lines skipped, and
     * a leading byte-order mark dropped (spreadsheet programs often write one, and commons-csv
     * would keep it in the first column's name).
     */
    public static CSVParser parse(Path csv) throws IOException {
        String text = Files.readString(csv, StandardCharsets.UTF_8).replace("\uFEFF", "");
        return CSVParser.parse(text, FORMAT);
    }
}
