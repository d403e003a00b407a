package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Iterator;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decoder's private reader registry picks the same readers ImageIO's global one picked after
 * {@code scanForPlugins()}: TwelveMonkeys where it has a reader (CMYK JPEG, 16-bit TIFF), the JDK's
 * otherwise. SessionClusterLeakIT checks that nothing of the job stays in ImageIO's global state.
 */
class ImageReadersTest {
    @ParameterizedTest
    @CsvSource({
        "jpeg, com.twelvemonkeys.imageio.plugins.jpeg.",
        "tiff, com.twelvemonkeys.imageio.plugins.tiff.",
        "bmp, com.twelvemonkeys.imageio.plugins.bmp.",
        "png, com.sun.imageio.plugins.png.",
        "gif, com.sun.imageio.plugins.gif."
    })
    void prefersTwelveMonkeysWhereItHasAReader(String format, String reader) throws Exception {
        byte[] bytes =
                CropImageDecoderTest.encode(
                        CropImageDecoderTest.gradient(16, 16, BufferedImage.TYPE_INT_RGB), format);
        try (ImageInputStream in =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageReaders.forInput(in);
            assertThat(readers.hasNext()).isTrue();
            ImageReader first = readers.next();
            try {
                assertThat(first.getClass().getName()).startsWith(reader);
                assertThat(in.getStreamPosition()).as("the probe leaves the stream").isZero();
            } finally {
                first.dispose();
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"not an image", "''"})
    void findsNoReaderForBytesOfNoKnownFormat(String text) throws Exception {
        try (ImageInputStream in =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(text.getBytes()))) {
            assertThat(ImageReaders.forInput(in).hasNext()).isFalse();
        }
    }
}
