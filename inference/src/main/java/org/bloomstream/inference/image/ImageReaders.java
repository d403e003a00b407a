package org.bloomstream.inference.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;
import javax.imageio.stream.ImageInputStream;
import org.bloomstream.inference.jvm.JvmWideInit;

/**
 * The image readers {@link CropImageDecoder} uses, found without registering anything JVM-wide.
 *
 * <p>On a Flink TaskManager every job has its own class loader, and whatever JVM-wide state holds
 * one of its classes keeps the whole job (classes, native libraries) in metaspace after it ends
 * (issue 17). ImageIO is such state: its registry ({@code IIORegistry}, one per {@code AppContext},
 * i.e. per JVM here) is created on ImageIO's first use and then registers every {@code
 * ImageReaderSpi} that the <em>current thread's context class loader</em> sees, and the {@code
 * AppContext} it lives in keeps that loader as its own context loader for good. {@code
 * ImageIO.scanForPlugins()} does the same on purpose. Done from a task thread, the first job's
 * loader and its TwelveMonkeys readers stay forever, and later jobs decode with the first job's
 * (closed) readers.
 *
 * <p>So: ImageIO's JVM-wide state is created once with the system class loader as the context
 * loader (what it would be in a plain JVM; on a TaskManager that is {@code /opt/flink/lib}), and
 * the readers of this class's own loader (TwelveMonkeys in the job jar) go into a private registry
 * next to the JDK's built-in ones, which TwelveMonkeys' JPEG reader delegates to and orders itself
 * before. The private registry belongs to this class and goes away with the job's loader.
 */
final class ImageReaders {
    private static final ServiceRegistry READERS = readers();
    private static final ImageReaderSpi JDK_JPEG = jdkJpegSpi();

    private ImageReaders() {}

    /**
     * The JDK's own JPEG reader (libjpeg), without TwelveMonkeys' wrapper, or null when the JDK has
     * none. For plain JFIF crops ({@link JpegFrame#plainJfif}) the wrapper only adds work: it
     * parses every segment again (Huffman tables included) and copies the decoded raster into a
     * second image, which was 40% of the bytes the plumbing benchmark's JVM allocated.
     */
    static ImageReader jdkJpeg() throws IOException {
        return JDK_JPEG == null ? null : JDK_JPEG.createReaderInstance();
    }

    private static ImageReaderSpi jdkJpegSpi() {
        Iterator<ImageReaderSpi> all = READERS.getServiceProviders(ImageReaderSpi.class, false);
        while (all.hasNext()) {
            ImageReaderSpi spi = all.next();
            if (spi.getClass().getClassLoader() == null
                    && List.of(spi.getFormatNames()).contains("jpeg")) {
                return spi;
            }
        }
        return null;
    }

    /**
     * Readers that can decode {@code in}, the preferred first, as {@code ImageIO.getImageReaders}
     * orders them; {@code in} is left at its position.
     */
    static Iterator<ImageReader> forInput(ImageInputStream in) {
        Iterator<ImageReaderSpi> spis =
                READERS.getServiceProviders(
                        ImageReaderSpi.class, spi -> canDecode((ImageReaderSpi) spi, in), true);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return spis.hasNext();
            }

            @Override
            public ImageReader next() {
                try {
                    return spis.next().createReaderInstance();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    private static boolean canDecode(ImageReaderSpi spi, ImageInputStream in) {
        try {
            in.mark();
            try {
                return spi.canDecodeInput(in);
            } finally {
                in.reset();
            }
        } catch (IOException e) {
            return false;
        }
    }

    private static ServiceRegistry readers() {
        // ImageIO's first use (if this is it) creates the AppContext and the default registry:
        // with the system loader as context loader and nothing of this job on the stack. No file
        // cache, as before.
        JvmWideInit.callStatic(
                ClassLoader.getSystemClassLoader(),
                ImageIO.class,
                "setUseCache",
                boolean.class,
                false);
        List<ImageReaderSpi> builtIn = new ArrayList<>();
        IIORegistry.getDefaultInstance()
                .getServiceProviders(ImageReaderSpi.class, false)
                .forEachRemaining(
                        spi -> {
                            if (spi.getClass().getClassLoader() == null) { // the JDK's own
                                builtIn.add(spi);
                            }
                        });
        ServiceRegistry registry =
                new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
        builtIn.forEach(spi -> registry.registerServiceProvider(spi, ImageReaderSpi.class));
        // After the built-in ones: TwelveMonkeys' JPEG reader finds its delegate on registration.
        for (ImageReaderSpi spi :
                ServiceLoader.load(ImageReaderSpi.class, ImageReaders.class.getClassLoader())) {
            registry.registerServiceProvider(spi, ImageReaderSpi.class);
        }
        return registry;
    }
}
