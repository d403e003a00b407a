package org.bloomstream.job;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.SpecimenReport;

/**
 * Keyed-HMAC pseudonyms for the identifiers on topics that leave the lab. Every specimen, scan and
 * cell id on a chosen topic (record key, fields, alert ids, most-attended cells, the FHIR bundle)
 * is replaced by {@code p-} and the first 32 hex digits (128 bits) of HMAC-SHA256(key, id).
 *
 * <ul>
 *   <li>Deterministic: one id has one pseudonym on every topic and in every run, so downstream
 *       consumers can still join and count per specimen.
 *   <li>Not reversible without the key. The lab, which holds the key, finds a specimen's records by
 *       computing its pseudonym ({@link #of}).
 *   <li>Cell and scan ids are pseudonymised too, because scanners commonly derive them from the
 *       specimen (accession) number.
 * </ul>
 *
 * <p>The key is read where the job runs (each task manager), from a file or from an environment
 * variable, not shipped inside the job graph. In-lab topics ({@code cells.raw}, {@code
 * cells.accepted}, {@code cells.dead}, {@code scans.events}) keep the real ids: the job needs them
 * to match cells, signals and dead letters of one specimen.
 *
 * <p>Limits: the scanner id and free text such as a dead letter's detail are not touched; a
 * pseudonym is only as secret as the key; rotating the key changes every pseudonym.
 */
public final class Pseudonyms implements Serializable {
    private static final long serialVersionUID = 1L;

    /** No pseudonyms. */
    public static final Pseudonyms OFF = new Pseudonyms(null, null, Set.of());

    /** The job's output topics: the default set once a key is given. */
    public static final Set<String> OUTPUT_TOPICS =
            Set.of(
                    Topics.CELLS_CLASSIFIED.name(),
                    Topics.ALERTS_AML.name(),
                    Topics.SPECIMEN_REPORTS.name(),
                    Topics.SPECIMEN_FHIR.name());

    /** The smallest key accepted, in bytes (HMAC-SHA256's block strength). */
    public static final int MIN_KEY_BYTES = 32;

    private final String keyFile;
    private final String keyEnv;
    private final Set<String> topics;
    private transient Mac mac;

    private Pseudonyms(String keyFile, String keyEnv, Set<String> topics) {
        this.keyFile = keyFile;
        this.keyEnv = keyEnv;
        this.topics = Set.copyOf(topics);
        for (String t : this.topics) {
            if (!OUTPUT_TOPICS.contains(t)) {
                throw new IllegalArgumentException(
                        "cannot pseudonymise "
                                + t
                                + ": only the job's outputs can be "
                                + new java.util.TreeSet<>(OUTPUT_TOPICS));
            }
        }
    }

    /** The key is the raw bytes of this file (at least 32 bytes, e.g. from /dev/urandom). */
    public static Pseudonyms keyFile(Path file, Set<String> topics) {
        return check(new Pseudonyms(file.toAbsolutePath().toString(), null, topics));
    }

    /** The key is the base64 value of this environment variable (at least 32 bytes decoded). */
    public static Pseudonyms keyEnv(String variable, Set<String> topics) {
        return check(new Pseudonyms(null, variable, topics));
    }

    /** Loads the key once, so a missing or short key fails at submission, not in a task. */
    private static Pseudonyms check(Pseudonyms p) {
        p.loadKey();
        return p;
    }

    public boolean enabled() {
        return !topics.isEmpty();
    }

    public boolean appliesTo(String topic) {
        return topics.contains(topic);
    }

    public Set<String> topics() {
        return topics;
    }

    byte[] loadKey() {
        byte[] key;
        if (keyFile != null) {
            try {
                key = Files.readAllBytes(Path.of(keyFile));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the pseudonym key file", e);
            }
        } else if (keyEnv != null) {
            String v = System.getenv(keyEnv);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException(
                        "the pseudonym key variable " + keyEnv + " is not set");
            }
            try {
                key = Base64.getDecoder().decode(v.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "the pseudonym key variable " + keyEnv + " is not base64");
            }
        } else {
            throw new IllegalStateException("pseudonyms are off");
        }
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "the pseudonym key has "
                            + key.length
                            + " bytes; at least "
                            + MIN_KEY_BYTES
                            + " are needed");
        }
        return key;
    }

    /** The pseudonym of one id; null stays null. */
    public synchronized String of(String id) {
        if (id == null) {
            return null;
        }
        if (mac == null) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(loadKey(), "HmacSHA256"));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }
        byte[] h = mac.doFinal(id.getBytes(StandardCharsets.UTF_8));
        return "p-" + HexFormat.of().formatHex(h, 0, 16);
    }

    /** A classified cell with its specimen, scan and cell ids replaced. */
    public ClassifiedCell cell(ClassifiedCell c) {
        return ClassifiedCell.newBuilder(c)
                .setCellId(of(c.getCellId()))
                .setSpecimenId(of(c.getSpecimenId()))
                .setScanId(of(c.getScanId()))
                .build();
    }

    /**
     * An alert with its ids replaced; the alert id keeps its {@code specimen/subtype/version} form.
     */
    public AmlAlert alert(AmlAlert a) {
        return AmlAlert.newBuilder(a)
                .setAlertId(of(a.getSpecimenId()) + "/" + a.getSubtype() + "/" + a.getVersion())
                .setSpecimenId(of(a.getSpecimenId()))
                .setScanId(of(a.getScanId()))
                .setTopAttendedCellIds(map(a.getTopAttendedCellIds(), this::of))
                .build();
    }

    /** A report with its ids replaced, alert ids and most-attended cells included. */
    public SpecimenReport report(SpecimenReport r) {
        String specimen = r.getSpecimenId();
        String pseudo = of(specimen);
        List<AttendedCells> attended = new ArrayList<>();
        for (AttendedCells a : r.getTopAttended()) {
            attended.add(new AttendedCells(a.getLabel(), map(a.getCellIds(), this::of)));
        }
        return SpecimenReport.newBuilder(r)
                .setSpecimenId(pseudo)
                .setScanId(of(r.getScanId()))
                .setTopAttended(attended)
                .setAlertsRaised(
                        map(
                                r.getAlertsRaised(),
                                id ->
                                        id.startsWith(specimen + "/")
                                                ? pseudo + id.substring(specimen.length())
                                                : of(id)))
                .build();
    }

    private static List<String> map(List<String> ids, Function<String, String> f) {
        List<String> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            out.add(f.apply(id));
        }
        return out;
    }

    /** Parses a comma-separated topic list; empty means every output topic. */
    public static Set<String> parseTopics(String csv) {
        if (csv == null || csv.isBlank()) {
            return OUTPUT_TOPICS;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String t : csv.split(",")) {
            if (!t.isBlank()) {
                out.add(t.trim());
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return enabled()
                ? "Pseudonyms{"
                        + (keyFile != null ? "key file" : "key from $" + keyEnv)
                        + ", "
                        + new java.util.TreeSet<>(topics)
                        + "}"
                : "Pseudonyms{off}";
    }
}
