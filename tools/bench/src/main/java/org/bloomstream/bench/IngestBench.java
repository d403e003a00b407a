package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.devkit.feed.CellKind;
import org.bloomstream.devkit.synthetic.CellRenderer;
import org.bloomstream.embedded.kafka.EmbeddedKafka;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.kafka.ClientSettings;

/**
 * The ingest benchmark: producer plus gate throughput on loopback, in one JVM with an embedded
 * KRaft broker and the gate (exactly_once_v2, dedupe store), for crops of a given size.
 *
 * <p>Per size: a pool of distinct synthetic-cell JPEGs rendered to about the target size, a
 * warm-up, then {@code count} crops with unique cell ids sent as fast as the producer takes them
 * (the project's producer settings). Two figures: <em>producer</em>, from the first send to the
 * last acknowledgement (acks=all); <em>producer + gate</em>, from the first send until the last
 * crop is visible on {@code cells.accepted} to a read_committed consumer, i.e. validated, deduped
 * and committed by the gate. Broker, producer, gate and consumer share the machine's cores, so the
 * figures are a floor for a real deployment and say nothing about network transfer.
 */
public final class IngestBench {
    /**
     * @param sizesKb target crop sizes in KB
     * @param megabytesPerSize how much image data to send per size (the count follows)
     * @param partitions partitions per topic
     * @param workDir broker and gate files (deleted at the end by the caller)
     */
    public record Options(
            List<Integer> sizesKb, int megabytesPerSize, int partitions, Path workDir) {}

    /** One size's figures. */
    public record Result(
            int targetKb,
            double meanBytes,
            long crops,
            double producerSeconds,
            double pipelineSeconds) {
        public double producerCropsPerSecond() {
            return crops / producerSeconds;
        }

        public double pipelineCropsPerSecond() {
            return crops / pipelineSeconds;
        }

        public double producerMegabytesPerSecond() {
            return crops * meanBytes / 1e6 / producerSeconds;
        }

        public double pipelineMegabytesPerSecond() {
            return crops * meanBytes / 1e6 / pipelineSeconds;
        }
    }

    private final Options options;
    private final PrintStream out;

    public IngestBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public List<Result> run() throws Exception {
        Files.createDirectories(options.workDir());
        List<Result> results = new ArrayList<>();
        out.println("starting embedded Kafka (KRaft) and the ingest gate ...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(options.workDir().resolve("kafka"))) {
            kafka.createTopics(options.partitions());
            KafkaStreams gate =
                    IngestGate.start(
                            GateConfig.DEFAULT,
                            IngestGate.streamsConfig(
                                    kafka.bootstrapServers(),
                                    "bloomstream-gate-bench",
                                    options.workDir().resolve("gate")),
                            Duration.ofSeconds(60));
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(ClientSettings.producer(kafka.bootstrapServers()))) {
                for (int kb : options.sizesKb()) {
                    results.add(runSize(kafka.bootstrapServers(), producer, kb));
                }
            } finally {
                gate.close(Duration.ofSeconds(10));
            }
        }
        out.println();
        out.printf(
                "%-8s %10s %8s | %12s %10s | %14s %10s%n",
                "size", "mean", "crops", "producer/s", "MB/s", "prod+gate/s", "MB/s");
        for (Result r : results) {
            out.printf(
                    Locale.ROOT,
                    "%-8s %8.1fKB %8d | %12.0f %10.1f | %14.0f %10.1f%n",
                    r.targetKb() + " KB",
                    r.meanBytes() / 1024,
                    r.crops(),
                    r.producerCropsPerSecond(),
                    r.producerMegabytesPerSecond(),
                    r.pipelineCropsPerSecond(),
                    r.pipelineMegabytesPerSecond());
        }
        return results;
    }

    private Result runSize(String bootstrap, KafkaProducer<byte[], byte[]> producer, int kb)
            throws Exception {
        List<byte[]> pool = imagesNear(kb * 1024, 16);
        double mean = pool.stream().mapToInt(b -> b.length).average().orElse(0);
        long count = Math.max(50, (long) options.megabytesPerSize() * 1_000_000L / (long) mean);
        out.printf(
                Locale.ROOT,
                "%d KB crops: %d distinct JPEGs, mean %.1f KB; sending %d crops%n",
                kb,
                pool.size(),
                mean / 1024,
                count);
        String run = "bench-" + kb + "k-" + UUID.randomUUID().toString().substring(0, 8);
        // warm-up: JIT, connections, the gate's first transactions
        try (AcceptedCounter warm = new AcceptedCounter(bootstrap, run + "-warm")) {
            send(producer, pool, run + "-warm", Math.min(300, count), null);
            warm.await(Math.min(300, count), null);
        }
        AtomicLong sent = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (AcceptedCounter counter = new AcceptedCounter(bootstrap, run)) {
            long t0 = System.nanoTime();
            Thread sender =
                    new Thread(
                            () -> {
                                try {
                                    send(producer, pool, run, count, sent);
                                } catch (Exception e) {
                                    failure.set(e);
                                }
                            },
                            "bench-producer");
            sender.start();
            counter.await(
                    count,
                    accepted ->
                            out.printf(
                                    Locale.ROOT,
                                    "  [%5.1fs] sent %d/%d | accepted %d%n",
                                    (System.nanoTime() - t0) / 1e9,
                                    sent.get(),
                                    count,
                                    accepted));
            long t1 = System.nanoTime();
            sender.join();
            if (failure.get() != null) {
                throw failure.get();
            }
            return new Result(kb, mean, count, (sendEnd - t0) / 1e9, (t1 - t0) / 1e9);
        }
    }

    private volatile long sendEnd;

    /** Sends {@code count} crops (16 specimens, unique cell ids) and waits for every ack. */
    private void send(
            KafkaProducer<byte[], byte[]> producer,
            List<byte[]> pool,
            String run,
            long count,
            AtomicLong sent)
            throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        Instant now = Instant.now();
        for (long i = 0; i < count; i++) {
            String specimen = run + "-S" + (i % 16);
            CellCrop crop =
                    CellCrop.newBuilder()
                            .setCellId(run + "-c" + i)
                            .setSpecimenId(specimen)
                            .setScanId(specimen + "-scan")
                            .setScannerId("bench")
                            .setCaptureTime(now)
                            .setImage(ByteBuffer.wrap(pool.get((int) (i % pool.size()))))
                            .setEncoding(ImageEncoding.JPEG)
                            .setWidth(0)
                            .setHeight(0)
                            .build();
            producer.send(
                    new ProducerRecord<>(
                            Topics.CELLS_RAW.name(),
                            specimen.getBytes(StandardCharsets.UTF_8),
                            Topics.CELLS_RAW.serializeValue(crop)),
                    (md, ex) -> {
                        if (ex != null) {
                            failure.compareAndSet(null, ex);
                        }
                    });
            if (sent != null) {
                sent.incrementAndGet();
            }
        }
        producer.flush();
        sendEnd = System.nanoTime();
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /**
     * Counts one run's crops on cells.accepted (read_committed). Positioned at the end of the topic
     * before the run starts, with the partitions assigned rather than subscribed, so no group join
     * delays the count.
     */
    private static final class AcceptedCounter implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final byte[] prefix;

        AcceptedCounter(String bootstrap, String run) {
            consumer =
                    new KafkaConsumer<>(
                            ClientSettings.consumer(bootstrap, "bench-" + UUID.randomUUID()));
            List<org.apache.kafka.common.TopicPartition> parts =
                    consumer.partitionsFor(Topics.CELLS_ACCEPTED.name()).stream()
                            .map(
                                    p ->
                                            new org.apache.kafka.common.TopicPartition(
                                                    p.topic(), p.partition()))
                            .toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position); // resolve now, before anything is sent
            prefix = (run + "-S").getBytes(StandardCharsets.UTF_8);
        }

        void await(long count, java.util.function.LongConsumer progress) {
            long seen = 0;
            long lastPrint = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (seen < count) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    if (startsWith(r.key(), prefix)) {
                        seen++;
                    }
                }
                long now = System.nanoTime();
                if (progress != null && (now - lastPrint > 2_000_000_000L || seen >= count)) {
                    lastPrint = now;
                    progress.accept(seen);
                }
                if (now > deadline) {
                    throw new IllegalStateException(
                            "only " + seen + "/" + count + " crops accepted after 10 minutes");
                }
            }
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        if (key == null || key.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key[i] != prefix[i]) {
                return false;
            }
        }
        return key.length > prefix.length && key[prefix.length] >= '0' && key[prefix.length] <= '9';
    }

    /**
     * Distinct synthetic-cell JPEGs whose sizes are close to {@code target} bytes. Sensor-like
     * noise is added before encoding: the rendered cells are smooth and would otherwise compress to
     * a fraction of what a camera's crop of the same size weighs.
     */
    static List<byte[]> imagesNear(int target, int n) {
        CellKind[] kinds = CellKind.values();
        int edge = 96;
        for (int i = 0; i < 8; i++) {
            int size = noisyJpeg(new CellRenderer(edge), CellKind.NEUTROPHIL, 1).length;
            int next =
                    Math.max(
                            CellRenderer.MIN_SIZE,
                            Math.min(
                                    CellRenderer.MAX_SIZE,
                                    (int) Math.round(edge * Math.sqrt((double) target / size))));
            if (Math.abs(size - target) < target * 0.03 || next == edge) {
                break;
            }
            edge = next;
        }
        CellRenderer renderer = new CellRenderer(edge);
        SplittableRandom random = new SplittableRandom(7);
        List<byte[]> pool = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pool.add(noisyJpeg(renderer, kinds[i % kinds.length], random.nextLong()));
        }
        return pool;
    }

    private static byte[] noisyJpeg(CellRenderer renderer, CellKind kind, long seed) {
        java.awt.image.BufferedImage img = renderer.render(kind, seed);
        SplittableRandom noise = new SplittableRandom(seed);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int d = noise.nextInt(-6, 7);
                int r = clamp((rgb >> 16 & 0xFF) + d);
                int g = clamp((rgb >> 8 & 0xFF) + d);
                int b = clamp((rgb & 0xFF) + d);
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        // quality 0.95, as microscope software tends to save: 200 KB crops need it at the
        // renderer's largest edge
        javax.imageio.ImageWriter writer =
                javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.MemoryCacheImageOutputStream ios =
                new javax.imageio.stream.MemoryCacheImageOutputStream(out)) {
            javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.95f);
            writer.setOutput(ios);
            writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
