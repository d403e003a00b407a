package org.bloomstream.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.function.SerializableFunction;
import org.bloomstream.aggregation.MilInstanceScorer;
import org.bloomstream.aggregation.SpecimenMilFunction;
import org.bloomstream.aggregation.SpecimenSignal;
import org.bloomstream.aggregation.fhir.FhirDocument;
import org.bloomstream.aggregation.fhir.FhirReportFunction;
import org.bloomstream.aggregation.mil.OnnxMilModel;
import org.bloomstream.aggregation.signals.DeadLetterSignals;
import org.bloomstream.aggregation.signals.ScanEventSignals;
import org.bloomstream.inference.batch.MicroBatchEmbedder;
import org.bloomstream.inference.decode.CropDecodeFunction;
import org.bloomstream.inference.drift.DriftProfile;
import org.bloomstream.inference.drift.ScannerDriftFunction;
import org.bloomstream.inference.model.EmbedderFactory;
import org.bloomstream.inference.model.EmbedderManifest;
import org.bloomstream.inference.types.DecodedCrop;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.CellTyper;
import org.bloomstream.inference.typing.HeadFiles;
import org.bloomstream.inference.typing.HeadLoader;
import org.bloomstream.inference.typing.UnknownPolicy;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;

/**
 * The one Flink job: accepted crops in; classified cells, AML alerts, specimen reports and dead
 * letters out.
 *
 * <pre>
 * cells.accepted ─► decode-resize ─► micro-batch-embed ─► cell-type ─► mil-instance ─┬─► cells.classified
 *                                                                                    └─► keyBy(specimen) ─┐
 * scans.events ─► scan-signals ─┐                                                                         ▼
 * cells.dead ──► lost-cells ────┴─► keyBy(specimen) ─────────────────────────────────────────────► specimen-mil
 *                                    alerts.aml ◄─┤ specimens.reports ◄─┤ fhir-report ─► specimens.fhir ◄─┘
 *                                                                      specimens.status ◄─┘ (throttled)
 * </pre>
 *
 * The typed cells also go, keyed by scanner, to {@code scanner-drift} and on to {@code
 * scanners.drift} (the batch-effect watch; only when the head file has a drift profile).
 *
 * <p>Sources and sinks come in through the constructor; {@link #kafka(JobConfig)} supplies the
 * production ones, tests can supply others and run the very same topology. {@link Taps} let tests
 * insert stateless operators (fault injection, an upgraded operator) at fixed places.
 *
 * <p>Every operator has a stable {@code uid}: savepoints map state to operators by uid, so a new
 * version of the job restores a savepoint of an older one as long as stateful operators keep theirs
 * ({@code SavepointUpgradeTest}). Never change a stateful operator's uid.
 */
public final class BloomstreamJob {
    /**
     * Places where stateless operators can be inserted without touching the production wiring.
     * Production uses {@link #NONE}. An inserted operator needs its own {@code uid}.
     */
    public interface Taps {
        Taps NONE = new Taps() {};

        /** Classified cells, before they fan out to {@code cells.classified} and the MIL. */
        default DataStream<ClassifiedCell> classified(DataStream<ClassifiedCell> cells) {
            return cells;
        }

        /** Classified cells as published, right before the {@code cells.classified} sink. */
        default DataStream<ClassifiedCell> beforeClassifiedSink(DataStream<ClassifiedCell> cells) {
            return cells;
        }
    }

    private final JobConfig config;
    private final Source<SourceRecord, ?, ?> crops;
    private final Source<SourceRecord, ?, ?> scanEvents;
    private final Source<SourceRecord, ?, ?> deadLetters;
    private final Sink<ClassifiedCell> classifiedSink;
    private final Sink<AmlAlert> alertSink;
    private final Sink<SpecimenReport> reportSink;
    private final Sink<DeadLetter> deadSink;
    private final Sink<FhirDocument> fhirSink;
    private final Sink<SpecimenStatus> statusSink;
    private Taps taps = Taps.NONE;
    private Sink<ScannerDrift> driftSink = new DiscardingSink<>();

    public BloomstreamJob(
            JobConfig config,
            Source<SourceRecord, ?, ?> crops,
            Source<SourceRecord, ?, ?> scanEvents,
            Source<SourceRecord, ?, ?> deadLetters,
            Sink<ClassifiedCell> classifiedSink,
            Sink<AmlAlert> alertSink,
            Sink<SpecimenReport> reportSink,
            Sink<DeadLetter> deadSink,
            Sink<FhirDocument> fhirSink,
            Sink<SpecimenStatus> statusSink) {
        this.config = config;
        this.crops = crops;
        this.scanEvents = scanEvents;
        this.deadLetters = deadLetters;
        this.classifiedSink = classifiedSink;
        this.alertSink = alertSink;
        this.reportSink = reportSink;
        this.deadSink = deadSink;
        this.fhirSink = fhirSink;
        this.statusSink = statusSink;
    }

    /**
     * The same job writing the per-scanner drift records ({@code scanners.drift}) to {@code sink};
     * without one they are dropped (the per-scanner metrics still work).
     */
    public BloomstreamJob withDriftSink(Sink<ScannerDrift> sink) {
        this.driftSink = sink;
        return this;
    }

    /** The same job with these taps. */
    public BloomstreamJob withTaps(Taps t) {
        this.taps = t;
        return this;
    }

    /**
     * The job on the registry's Kafka topics. Pseudonymised topics get their ids replaced in the
     * sink's serializer (the FHIR bundle is rendered from the pseudonymised report), so turning
     * pseudonyms on or off changes no operator and no state.
     */
    public static BloomstreamJob kafka(JobConfig config) {
        KafkaEndpoints k = new KafkaEndpoints(config);
        Pseudonyms p = config.pseudonyms();
        return new BloomstreamJob(
                        config,
                        k.source(Topics.CELLS_ACCEPTED),
                        k.source(Topics.SCAN_EVENTS),
                        k.source(Topics.CELLS_DEAD),
                        outgoing(
                                k,
                                p,
                                Topics.CELLS_CLASSIFIED,
                                ClassifiedCell::getSpecimenId,
                                p::cell),
                        outgoing(k, p, Topics.ALERTS_AML, AmlAlert::getSpecimenId, p::alert),
                        outgoing(
                                k,
                                p,
                                Topics.SPECIMEN_REPORTS,
                                SpecimenReport::getSpecimenId,
                                p::report),
                        k.sink(Topics.CELLS_DEAD, DeadLetters::keyOf),
                        k.sink(Topics.SPECIMEN_FHIR, (FhirDocument d) -> d.specimenId, d -> d.json),
                        k.sink(Topics.SPECIMEN_STATUS, SpecimenStatus::getSpecimenId))
                .withDriftSink(k.sink(Topics.SCANNERS_DRIFT, ScannerDrift::getScannerId));
    }

    /**
     * The sink of a topic that may leave the lab: keyed by specimen, with every id replaced by its
     * pseudonym in the serializer when the configuration names the topic.
     */
    private static <V> Sink<V> outgoing(
            KafkaEndpoints k,
            Pseudonyms p,
            Topic<String, V> topic,
            SerializableFunction<V, String> specimenId,
            SerializableFunction<V, V> pseudonymise) {
        return p.appliesTo(topic.name())
                ? k.sink(topic, (V v) -> p.of(specimenId.apply(v)), pseudonymise)
                : k.sink(topic, specimenId);
    }

    /** Loaded once on the client, checked against each other, shipped with the job graph. */
    record Models(
            EmbedderManifest embedder,
            CellTypeHead head,
            UnknownPolicy unknownPolicy,
            OnnxMilModel mil,
            Optional<DriftProfile> drift) {}

    /** Reads and cross-checks the models, failing fast with a message that names the files. */
    static Models loadModels(JobConfig config) {
        try {
            EmbedderManifest manifest = EmbedderManifest.forModel(config.embedderModel());
            CellTypeHead head = HeadFiles.read(config.head());
            head.checkCompatible(manifest.modelId(), manifest.embeddingDim());
            OnnxMilModel mil = OnnxMilModel.load(config.milModel());
            mil.checkCompatible(manifest.modelId(), manifest.embeddingDim());
            UnknownPolicy policy = config.unknownOverrides().applyTo(head.unknownPolicy());
            Optional<DriftProfile> drift = DriftProfile.read(config.head());
            if (drift.isEmpty()) {
                org.slf4j.LoggerFactory.getLogger(BloomstreamJob.class)
                        .info(
                                "head {} ({}) has no drift profile: no per-scanner drift signal;"
                                        + " refit it with 'bloomstream fit-head' to get one",
                                head.headId(),
                                config.head());
            }
            return new Models(manifest, head, policy, mil, drift);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The batch-effect watch: typed cells (still carrying their embeddings) keyed by scanner,
     * compared with the head's drift profile. Absent when the head has none (older head files).
     */
    private void driftWatch(DataStream<ClassifiedCell> cells, Models models) {
        if (models.drift().isEmpty()) {
            return;
        }
        cells.keyBy(c -> c.getScannerId(), Types.STRING)
                .process(
                        new ScannerDriftFunction(
                                models.drift().get(), config.drift(), models.head().headId()))
                .name("scanner-drift")
                .uid("scanner-drift")
                .sinkTo(driftSink)
                .name("sink-drift")
                .uid("sink-drift");
    }

    /** Wires the topology into {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        Models models = loadModels(config);
        env.setParallelism(config.parallelism());
        env.enableCheckpointing(
                config.checkpointInterval().toMillis(), CheckpointingMode.EXACTLY_ONCE);
        // State backend, storage and barrier settings are job configuration, so they hold on a
        // MiniCluster and on a cluster alike (and win over the cluster's defaults).
        env.configure(config.checkpointing().toConfiguration());

        SingleOutputStreamOperator<DecodedCrop> decoded =
                env.fromSource(crops, WatermarkStrategy.noWatermarks(), "accepted-crops")
                        .setParallelism(config.decodeParallelism())
                        .uid("source-accepted-crops")
                        .process(
                                new CropDecodeFunction(
                                        models.embedder().imageSize(),
                                        config.imageLimits(),
                                        config.alphaPolicy(),
                                        config.resizeInGraph()))
                        .setParallelism(config.decodeParallelism())
                        .name("decode-resize")
                        .uid("decode-resize");

        // At the same parallelism, decode and embed are chained: a decoded crop (150 KB of
        // pixels) goes to the embedder as a reference, not serialised into network buffers and
        // read back in another thread, which cost more CPU than everything else the job does
        // besides decoding (BENCHMARKS.md, "CPU per crop"). The price: in one subtask decoding
        // waits while the model runs. Decode at a higher parallelism than embed (a GPU host) to
        // get separate decode threads again; the crops are then rebalanced over the network.
        // Chaining changes no uid and no state: savepoints map as before.
        SingleOutputStreamOperator<EmbeddedCell> embedded =
                decoded.transform(
                                "micro-batch-embed",
                                TypeInformation.of(EmbeddedCell.class),
                                new MicroBatchEmbedder(
                                        EmbedderFactory.onnx(
                                                config.embedderModel(),
                                                config.execution(),
                                                config.resizeInGraph()),
                                        config.batch()))
                        .uid("micro-batch-embed");

        // Chained to the embedder: the cells of a model call arrive back to back and are typed as
        // one batch. The head is read from its file on the task manager (a kNN bank can be large).
        SingleOutputStreamOperator<ClassifiedCell> classified =
                embedded.transform(
                                "cell-type",
                                TypeInformation.of(ClassifiedCell.class),
                                new CellTyper(
                                        HeadLoader.file(config.head()),
                                        models.unknownPolicy(),
                                        config.execution()))
                        .uid("cell-type")
                        .transform(
                                "mil-instance",
                                TypeInformation.of(ClassifiedCell.class),
                                new MilInstanceScorer(models.mil()))
                        .uid("mil-instance");

        DataStream<ClassifiedCell> tapped = taps.classified(classified);
        driftWatch(tapped, models);

        taps.beforeClassifiedSink(
                        tapped.map(new WireCell(config.emitEmbeddings()))
                                .name("wire-cell")
                                .uid("wire-cell"))
                .sinkTo(classifiedSink)
                .name("sink-classified")
                .uid("sink-classified");

        SingleOutputStreamOperator<SpecimenSignal> scans =
                env.fromSource(scanEvents, WatermarkStrategy.noWatermarks(), "scan-events")
                        .uid("source-scan-events")
                        .process(new ScanEventSignals())
                        .name("scan-signals")
                        .uid("scan-signals");
        DataStream<SpecimenSignal> lost =
                env.fromSource(deadLetters, WatermarkStrategy.noWatermarks(), "dead-letters")
                        .uid("source-dead-letters")
                        .flatMap(new DeadLetterSignals())
                        .name("lost-cells")
                        .uid("lost-cells");

        SingleOutputStreamOperator<AmlAlert> alerts =
                tapped.keyBy(c -> c.getSpecimenId(), Types.STRING)
                        .connect(scans.union(lost).keyBy(s -> s.specimenId, Types.STRING))
                        .process(new SpecimenMilFunction(models.mil(), config.alertPolicy()))
                        .name("specimen-mil")
                        .uid("specimen-mil");

        alerts.sinkTo(alertSink).name("sink-alerts").uid("sink-alerts");
        DataStream<SpecimenReport> reports = alerts.getSideOutput(SpecimenMilFunction.REPORTS);
        reports.sinkTo(reportSink).name("sink-reports").uid("sink-reports");
        Pseudonyms pseudonyms = config.pseudonyms();
        reports.map(
                        pseudonyms.appliesTo(Topics.SPECIMEN_FHIR.name())
                                ? new FhirReportFunction(pseudonyms::report)
                                : new FhirReportFunction())
                .name("fhir-report")
                .uid("fhir-report")
                .sinkTo(fhirSink)
                .name("sink-fhir")
                .uid("sink-fhir");
        alerts.getSideOutput(SpecimenMilFunction.STATUS)
                .sinkTo(statusSink)
                .name("sink-status")
                .uid("sink-status");

        decoded.getSideOutput(CropDecodeFunction.DEAD)
                .union(
                        embedded.getSideOutput(MicroBatchEmbedder.DEAD),
                        scans.getSideOutput(ScanEventSignals.DEAD))
                .map(new DeadLetterMetrics())
                .name("dead-letter-metrics")
                .uid("dead-letter-metrics")
                .sinkTo(deadSink)
                .name("sink-dead-letters")
                .uid("sink-dead-letters");
    }
}
