package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks {@code job/target/bloomstream-job.jar}, the jar that docker/Dockerfile.job puts into
 * {@code /opt/flink/usrlib}, and {@code job/target/bloomstream-onnxruntime.jar}, which it puts into
 * {@code /opt/flink/lib}, after {@code mvn package} built them (failsafe, integration-test phase).
 *
 * <p>The class-loading tests run the jar on a classpath made like the job image's {@code
 * /opt/flink/lib}: Flink's runtime and its own dependencies plus the log4j/slf4j jars, taken from
 * {@code job/target/flink-lib} (this module's provided and test dependencies), and ONNX Runtime
 * with DJL from bloomstream-onnxruntime.jar, with the platform class loader as parent. A class the
 * job needs but neither jar has fails here, not on a cluster. SessionClusterLeakIT runs the same
 * split with Flink's own class loaders, ten jobs in a row.
 */
class JobJarIT {
    private static final Path HOME = Path.of(System.getProperty("bloomstream.home", ".."));
    private static final Path JAR = HOME.resolve("job/target/bloomstream-job.jar");
    private static final Path LIB = HOME.resolve("job/target/flink-lib");

    /** ONNX Runtime, DJL and JNA, for the image's /opt/flink/lib. */
    static final Path ORT_LIB_JAR = HOME.resolve("job/target/bloomstream-onnxruntime.jar");

    /** What /opt/flink/lib of the official image provides (flink-dist and its neighbours). */
    private static final List<String> FLINK_DIST_PREFIXES =
            List.of(
                    "flink-",
                    "kryo-",
                    "reflectasm-",
                    "objenesis-",
                    "minlog-",
                    "commons-collections-",
                    "snakeyaml-engine-",
                    "commons-math3-",
                    "jsr305-",
                    "commons-cli-",
                    "commons-io-",
                    "commons-lang3-",
                    "commons-text-",
                    "javassist-",
                    "snappy-java-",
                    "async-profiler-",
                    "lz4-java-",
                    "slf4j-api-",
                    "log4j-");

    /** Flink modules the job jar carries itself; the image's lib has none of them. */
    private static final List<String> SHIPPED_IN_JOB_JAR =
            List.of("flink-connector-kafka-", "flink-connector-base-", "flink-avro-");

    private static Set<String> entries;

    @BeforeAll
    static void readJar() throws IOException {
        assertThat(JAR).as("built by mvn package").isRegularFile();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            entries = jar.stream().map(e -> e.getName()).collect(Collectors.toSet());
        }
    }

    @Test
    void manifestNamesTheClusterEntryClassAndNoClassPath() throws IOException {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            Manifest m = jar.getManifest();
            assertThat(m.getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("org.bloomstream.job.cli.FlinkJobMain");
            assertThat(m.getMainAttributes().getValue("Class-Path")).isNull();
        }
    }

    @Test
    void carriesTheJobConnectorsAndImageCodecs() {
        assertThat(entries)
                .contains(
                        "org/bloomstream/job/cli/FlinkJobMain.class",
                        "org/bloomstream/job/BloomstreamJob.class",
                        "org/bloomstream/inference/model/OnnxEmbedder.class",
                        "org/bloomstream/aggregation/SpecimenMilFunction.class",
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        "org/apache/flink/connector/kafka/sink/KafkaSink.class",
                        "org/apache/flink/connector/base/DeliveryGuarantee.class",
                        "org/apache/flink/formats/avro/AvroSerializationSchema.class",
                        "org/apache/kafka/clients/producer/KafkaProducer.class",
                        "org/apache/avro/Schema.class",
                        "com/twelvemonkeys/imageio/plugins/jpeg/JPEGImageReader.class",
                        "picocli/CommandLine.class",
                        "META-INF/services/javax.imageio.spi.ImageReaderSpi");
    }

    /**
     * ONNX Runtime's environment, shutdown hook and native library, and JNA's, are JVM-wide: from a
     * job's class loader they keep every job in metaspace (issue 17). They are in the lib jar.
     */
    @Test
    void leavesOnnxRuntimeDjlAndJnaToFlinksLib() throws IOException {
        for (String prefix : List.of("ai/onnxruntime/", "ai/djl/", "com/sun/jna/")) {
            assertThat(entries.stream().filter(e -> e.startsWith(prefix)).findFirst())
                    .as("job jar entries under %s", prefix)
                    .isEmpty();
        }
        assertThat(entries).doesNotContain("META-INF/services/ai.djl.engine.EngineProvider");
        assertThat(ORT_LIB_JAR).as("built by mvn package").isRegularFile();
        Set<String> lib;
        try (JarFile jar = new JarFile(ORT_LIB_JAR.toFile())) {
            lib = jar.stream().map(e -> e.getName()).collect(Collectors.toSet());
        }
        assertThat(lib)
                .contains(
                        "ai/onnxruntime/OrtSession.class",
                        "ai/onnxruntime/native/linux-x64/libonnxruntime.so",
                        "ai/djl/engine/Engine.class",
                        "ai/djl/onnxruntime/engine/OrtEngineProvider.class",
                        "com/sun/jna/Native.class",
                        "com/sun/jna/linux-x86-64/libjnidispatch.so",
                        "com/google/gson/Gson.class",
                        "META-INF/services/ai.djl.engine.EngineProvider");
        for (String prefix :
                List.of(
                        "ai/onnxruntime/native/osx-",
                        "ai/onnxruntime/native/win-",
                        "com/sun/jna/darwin",
                        "com/sun/jna/win32-",
                        "org/bloomstream/",
                        "org/apache/flink/",
                        "org/slf4j/")) {
            assertThat(lib.stream().filter(e -> e.startsWith(prefix)).findFirst())
                    .as("lib jar entries under %s", prefix)
                    .isEmpty();
        }
    }

    @Test
    void leavesOutFlinkRuntimeLoggingTheEmbeddedBrokerAndForeignNatives() {
        List<String> forbidden =
                List.of(
                        "org/apache/flink/runtime/", // flink-runtime
                        "org/apache/flink/streaming/api/environment/", // flink-streaming-java
                        "org/apache/flink/api/common/", // flink-core
                        "org/apache/flink/client/", // flink-clients
                        "org/apache/logging/log4j/", // the image's lib has log4j
                        "org/slf4j/",
                        "kafka/server/", // kafka_2.13: the embedded broker
                        "org/apache/kafka/server/config/", // kafka-server
                        "org/apache/kafka/raft/", // kafka-raft
                        "org/apache/kafka/common/test/", // the broker test kit
                        "org/apache/kafka/streams/", // the ingest gate, not the job
                        "org/rocksdb/",
                        "scala/",
                        "bloomstream-log4j2.xml");
        for (String prefix : forbidden) {
            assertThat(entries.stream().filter(e -> e.startsWith(prefix)).findFirst())
                    .as("job jar entries under %s", prefix)
                    .isEmpty();
        }
    }

    @Test
    void djlFindsTheOnnxRuntimeEngineThroughTheMergedServiceFile() throws Exception {
        try (JarFile jar = new JarFile(ORT_LIB_JAR.toFile())) {
            String services =
                    new String(
                            jar.getInputStream(
                                            jar.getEntry(
                                                    "META-INF/services/ai.djl.engine.EngineProvider"))
                                    .readAllBytes(),
                            StandardCharsets.UTF_8);
            assertThat(services).contains("ai.djl.onnxruntime.engine.OrtEngineProvider");
        }
    }

    @Test
    void buildsTheJobGraphOnAFlinkImageClasspath() throws Exception {
        Path fixtures = HOME.resolve("models/fixtures").toAbsolutePath();
        String[] args = {
            "--bootstrap-servers", "kafka:9092",
            "--parallelism", "3",
            "--model", fixtures.resolve("vit-tiny.onnx").toString(),
            "--head", fixtures.resolve("vit-tiny-linear.json").toString(),
            "--mil", fixtures.resolve("mil-vit-tiny.json").toString()
        };
        try (URLClassLoader loader = flinkImageClassLoader()) {
            String plan = withContextLoader(loader, () -> plan(loader, args));
            assertThat(plan)
                    .contains(
                            "decode-resize",
                            "micro-batch-embed",
                            "cell-type",
                            "mil-instance",
                            "specimen-mil",
                            "fhir-report",
                            "sink-fhir",
                            "sink-classified",
                            "sink-alerts",
                            "sink-reports",
                            "sink-status",
                            "sink-dead-letters");
            assertThat(plan).contains("\"parallelism\" : 3");
        }
    }

    @Test
    void embedsABatchWithOnnxRuntimeFromFlinksLib() throws Exception {
        Path model = HOME.resolve("models/fixtures/vit-tiny.onnx").toAbsolutePath();
        try (URLClassLoader loader = flinkImageClassLoader()) {
            float[][] out =
                    withContextLoader(
                            loader,
                            () -> {
                                Class<?> exec =
                                        loader.loadClass(
                                                "org.bloomstream.inference.model.ExecutionConfig");
                                Object cfg = exec.getField("DEFAULT").get(null);
                                Class<?> onnx =
                                        loader.loadClass(
                                                "org.bloomstream.inference.model.OnnxEmbedder");
                                assertThat(onnx.getProtectionDomain().getCodeSource().getLocation())
                                        .isEqualTo(JAR.toUri().toURL());
                                assertThat(
                                                loader.loadClass("ai.onnxruntime.OrtSession")
                                                        .getProtectionDomain()
                                                        .getCodeSource()
                                                        .getLocation())
                                        .isEqualTo(ORT_LIB_JAR.toUri().toURL());
                                Object embedder =
                                        onnx.getMethod("open", Path.class, exec)
                                                .invoke(null, model, cfg);
                                try {
                                    int size = (int) onnx.getMethod("imageSize").invoke(embedder);
                                    byte[][] crops = new byte[2][size * size * 3];
                                    crops[1][7] = (byte) 200;
                                    Method embed =
                                            onnx.getMethod("embed", byte[][].class, int.class);
                                    return (float[][]) embed.invoke(embedder, crops, 2);
                                } finally {
                                    onnx.getMethod("close").invoke(embedder);
                                }
                            });
            assertThat(out).hasNumberOfRows(2);
            assertThat(out[0]).isNotEmpty();
            for (float v : out[0]) {
                assertThat(Float.isFinite(v)).isTrue();
            }
        }
    }

    /** The MIL graphs and the FHIR renderer, as the job's tasks run them from the shaded jar. */
    @Test
    void runsTheMilModelAndRendersFhirWithTheShadedJar() throws Exception {
        Path mil = HOME.resolve("models/fixtures/mil-vit-tiny.json").toAbsolutePath();
        try (URLClassLoader loader = flinkImageClassLoader()) {
            String json =
                    withContextLoader(
                            loader,
                            () -> {
                                Class<?> onnxMil =
                                        loader.loadClass(
                                                "org.bloomstream.aggregation.mil.OnnxMilModel");
                                Object model =
                                        onnxMil.getMethod("load", Path.class).invoke(null, mil);
                                Object rt = onnxMil.getMethod("open").invoke(model);
                                Class<?> runtime =
                                        loader.loadClass(
                                                "org.bloomstream.aggregation.mil.MilModel$Runtime");
                                float[] a =
                                        (float[])
                                                runtime.getMethod("attention", float[].class)
                                                        .invoke(rt, new float[64]);
                                assertThat(a).hasSize(5);
                                runtime.getMethod("close").invoke(rt);

                                Class<?> renderer =
                                        loader.loadClass(
                                                "org.bloomstream.aggregation.fhir.FhirReportRenderer");
                                assertThat(
                                                renderer.getProtectionDomain()
                                                        .getCodeSource()
                                                        .getLocation())
                                        .isEqualTo(JAR.toUri().toURL());
                                Class<?> report =
                                        loader.loadClass(
                                                "org.bloomstream.schemas.avro.SpecimenReport");
                                Object r = report.getMethod("newBuilder").invoke(null);
                                Class<?> b = r.getClass();
                                java.time.Instant t =
                                        java.time.Instant.parse("2026-01-01T00:00:00Z");
                                b.getMethod("setSpecimenId", String.class).invoke(r, "SPC-1");
                                b.getMethod("setScanId", String.class).invoke(r, "scan");
                                Class<?> reason =
                                        loader.loadClass(
                                                "org.bloomstream.schemas.avro.CloseReason");
                                b.getMethod("setCloseReason", reason)
                                        .invoke(r, reason.getField("SCAN_FINISHED").get(null));
                                b.getMethod("setCellCount", long.class).invoke(r, 3L);
                                b.getMethod("setCall", String.class).invoke(r, "NPM1");
                                b.getMethod("setProbabilities", List.class).invoke(r, List.of());
                                b.getMethod("setDifferential", List.class).invoke(r, List.of());
                                b.getMethod("setTopAttended", List.class).invoke(r, List.of());
                                b.getMethod("setAlertsRaised", List.class).invoke(r, List.of());
                                b.getMethod("setEmbeddingModelId", String.class).invoke(r, "e");
                                b.getMethod("setHeadModelId", String.class).invoke(r, "h");
                                b.getMethod("setMilModelId", String.class).invoke(r, "m");
                                b.getMethod("setFirstCellTime", java.time.Instant.class)
                                        .invoke(r, t);
                                b.getMethod("setLastCellTime", java.time.Instant.class)
                                        .invoke(r, t);
                                b.getMethod("setReportTime", java.time.Instant.class).invoke(r, t);
                                Object built = b.getMethod("build").invoke(r);
                                Object rend = renderer.getConstructor().newInstance();
                                return (String)
                                        renderer.getMethod("renderJson", report)
                                                .invoke(rend, built);
                            });
            assertThat(json).contains("DiagnosticReport").contains("aml-SPC-1");
        }
    }

    private static String plan(ClassLoader loader, String[] args) throws Exception {
        Class<?> envClass =
                loader.loadClass(
                        "org.apache.flink.streaming.api.environment.StreamExecutionEnvironment");
        Object env = envClass.getMethod("getExecutionEnvironment").invoke(null);
        Class<?> main = loader.loadClass("org.bloomstream.job.cli.FlinkJobMain");
        assertThat(main.getProtectionDomain().getCodeSource().getLocation())
                .isEqualTo(JAR.toUri().toURL());
        assertThat(envClass.getProtectionDomain().getCodeSource().getLocation().getPath())
                .contains("/target/flink-lib/flink-");
        return (String) main.getMethod("plan", envClass, String[].class).invoke(null, env, args);
    }

    /** The job jar first, then what the job image's lib holds; nothing from this JVM's path. */
    private static URLClassLoader flinkImageClassLoader() throws IOException {
        List<URL> urls = new ArrayList<>();
        urls.add(JAR.toUri().toURL());
        for (Path p : flinkDistJars(LIB)) {
            urls.add(p.toUri().toURL());
        }
        urls.add(ORT_LIB_JAR.toUri().toURL());
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    /** The jars of {@code lib} that the official image's /opt/flink/lib has. */
    static List<Path> flinkDistJars(Path lib) throws IOException {
        List<Path> dist;
        try (Stream<Path> jars = Files.list(lib)) {
            dist =
                    jars.filter(
                                    p -> {
                                        String n = p.getFileName().toString();
                                        return FLINK_DIST_PREFIXES.stream().anyMatch(n::startsWith)
                                                && SHIPPED_IN_JOB_JAR.stream()
                                                        .noneMatch(n::startsWith);
                                    })
                            .sorted()
                            .toList();
        }
        assertThat(dist).anyMatch(p -> p.getFileName().toString().startsWith("flink-runtime-"));
        return dist;
    }

    interface Body<T> {
        T run() throws Exception;
    }

    private static <T> T withContextLoader(ClassLoader loader, Body<T> body) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return body.run();
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } finally {
            t.setContextClassLoader(before);
        }
    }
}
