package org.bloomstream.inference.decode;

import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.CropImageDecoder;
import org.bloomstream.inference.image.CropRejectedException;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.types.CellMeta;
import org.bloomstream.inference.types.DecodedCrop;
import org.bloomstream.schemas.AvroSerde;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * First operator of the job: Avro-decodes an accepted crop, decodes its image and resizes it to the
 * model's input size. Anything that fails becomes a {@link DeadLetter} on {@link #DEAD} with its
 * reason and source coordinates; nothing here throws on bad input.
 *
 * <p>The ingest gate already rejects most bad crops; this stage re-checks because the job may read
 * a topic no gate guards, and because the gate only probes headers.
 */
public class CropDecodeFunction extends ProcessFunction<SourceRecord, DecodedCrop> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD = new OutputTag<>("decode-dead") {};
    static final String STAGE = "decode";

    private final int imageSize;
    private final ImageLimits limits;
    private final AlphaPolicy alpha;
    private final String alphaName;
    private final boolean resizeInGraph;

    private transient AvroSerde<CellCrop> serde;
    private transient CropImageDecoder decoder;
    private transient Counter decoded;
    private transient Counter rejected;

    /**
     * CPU time this thread spent decoding and resizing crops that passed: the pixels' cost as the
     * job pays it (warm caches, its own threads), which {@code bench plumbing} divides the job's
     * whole CPU by. Two thread-CPU-clock reads per crop, about a microsecond against milliseconds.
     */
    private transient Counter pixelCpuNanos;

    private transient ThreadMXBean threads;
    private transient boolean cpuTimed;

    /** Decodes with the reference's alpha policy, {@link AlphaPolicy#DROP}. */
    public CropDecodeFunction(int imageSize, ImageLimits limits) {
        this(imageSize, limits, AlphaPolicy.DROP);
    }

    public CropDecodeFunction(int imageSize, ImageLimits limits, AlphaPolicy alpha) {
        this(imageSize, limits, alpha, false);
    }

    /**
     * With {@code resizeInGraph} the crop is emitted at its decoded size ({@link DecodedCrop#raw})
     * for an embedder that resizes in its graph; the CPU then only decodes. Its pixels are BGR: a
     * JPEG's decoded buffer goes on as it is, and the graph reorders the channels.
     */
    public CropDecodeFunction(
            int imageSize, ImageLimits limits, AlphaPolicy alpha, boolean resizeInGraph) {
        this.resizeInGraph = resizeInGraph;
        this.imageSize = imageSize;
        this.limits = limits;
        this.alpha = alpha;
        this.alphaName = alpha.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void open(OpenContext openContext) {
        serde = new AvroSerde<>(CellCrop.class);
        // One decoder per subtask: it keeps libjpeg-turbo's buffers, and with the resize here the
        // decoded pixels too (the resize copies them out before the next crop is decoded). With
        // resize in the graph the decoded array is the crop that travels on: a new one each time.
        decoder = CropImageDecoder.forOneThread(limits, alpha, !resizeInGraph);
        decoded = getRuntimeContext().getMetricGroup().counter("cropsDecoded");
        rejected = getRuntimeContext().getMetricGroup().counter("cropsRejected");
        pixelCpuNanos = getRuntimeContext().getMetricGroup().counter("decodeResizeCpuNanos");
        threads = ManagementFactory.getThreadMXBean();
        cpuTimed = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
    }

    @Override
    public void processElement(SourceRecord in, Context ctx, Collector<DecodedCrop> out) {
        long start = System.nanoTime();
        CellCrop crop;
        try {
            crop = serde.decode(in.value);
        } catch (SerializationException e) {
            dead(ctx, in, DeadLetterReason.BAD_SCHEMA, e.getMessage(), null, null);
            return;
        }
        String missing = missingId(crop);
        if (missing != null) {
            dead(
                    ctx,
                    in,
                    DeadLetterReason.MISSING_ID,
                    missing + " is missing",
                    crop.getCellId(),
                    crop.getSpecimenId());
            return;
        }
        byte[] pixels;
        boolean raw = false;
        int width = imageSize;
        int height = imageSize;
        long cpu0 = cpuTimed ? threads.getCurrentThreadCpuTime() : 0;
        try {
            BufferedImage image = decoder.decode(imageBytes(crop.getImage()));
            // A crop already at the model's size needs no resize (Pillow's resize to the same size
            // is the identity): it leaves as a resized RGB crop, which the embedder tells from a
            // raw BGR one by its size.
            raw =
                    resizeInGraph
                            && (image.getWidth() != imageSize || image.getHeight() != imageSize);
            if (raw) {
                width = image.getWidth();
                height = image.getHeight();
                pixels = AntialiasedResize.bgrBytes(image); // BGR: the graph reorders
            } else {
                pixels = AntialiasedResize.resizeToRgb(image, imageSize, imageSize);
            }
        } catch (CropRejectedException e) {
            dead(ctx, in, e.reason(), e.getMessage(), crop.getCellId(), crop.getSpecimenId());
            return;
        }
        if (cpuTimed) {
            pixelCpuNanos.inc(threads.getCurrentThreadCpuTime() - cpu0);
        }
        CellMeta meta = new CellMeta();
        meta.cellId = crop.getCellId();
        meta.specimenId = crop.getSpecimenId();
        meta.scanId = crop.getScanId();
        meta.scannerId = crop.getScannerId();
        meta.captureTime = crop.getCaptureTime().toEpochMilli();
        meta.referenceLabel = crop.getReferenceLabel();
        meta.alphaPolicy = alphaName;
        meta.ingestTime = in.timestamp;
        meta.sourceTopic = in.topic;
        meta.sourcePartition = in.partition;
        meta.sourceOffset = in.offset;
        meta.decodeMicros = (int) ((System.nanoTime() - start) / 1000);
        decoded.inc();
        out.collect(
                raw
                        ? DecodedCrop.raw(meta, width, height, pixels)
                        : new DecodedCrop(meta, imageSize, pixels));
    }

    /**
     * The encoded image as an array: Avro's own array when the buffer wraps one exactly (what
     * {@code AvroSerde} decodes to: a buffer per record), else a copy. The crop is not used after
     * decoding, so sharing its array is safe.
     */
    static byte[] imageBytes(ByteBuffer image) {
        if (image.hasArray()
                && image.arrayOffset() == 0
                && image.position() == 0
                && image.remaining() == image.array().length) {
            return image.array();
        }
        byte[] bytes = new byte[image.remaining()];
        image.duplicate().get(bytes);
        return bytes;
    }

    /** Whether crops leave at their decoded size, for an embedder that resizes in its graph. */
    public boolean resizeInGraph() {
        return resizeInGraph;
    }

    static String missingId(CellCrop crop) {
        if (isBlank(crop.getCellId())) {
            return "cellId";
        }
        if (isBlank(crop.getSpecimenId())) {
            return "specimenId";
        }
        if (isBlank(crop.getScanId())) {
            return "scanId";
        }
        return null;
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private void dead(
            Context ctx,
            SourceRecord in,
            DeadLetterReason reason,
            String detail,
            String cellId,
            String specimenId) {
        rejected.inc();
        ctx.output(
                DEAD,
                DeadLetters.of(
                        reason,
                        detail,
                        STAGE,
                        in,
                        blankToNull(cellId),
                        blankToNull(specimenId),
                        Instant.now()));
    }

    private static String blankToNull(String s) {
        return isBlank(s) ? null : s;
    }
}
