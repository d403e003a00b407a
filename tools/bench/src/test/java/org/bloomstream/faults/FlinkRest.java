package org.bloomstream.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The calls of Flink's REST API that a user's tooling makes to run the job on a session cluster:
 * jar upload and run (with a savepoint to resume from), stop-with-savepoint, job and TaskManager
 * state. Nothing here goes through Flink's client classes, so the test exercises the same HTTP API
 * as {@code curl} would.
 */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    FlinkRest(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** GET, parsed; throws on a non-2xx answer. */
    JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private JsonNode post(String path, Object body) throws IOException, InterruptedException {
        return send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> r =
                http.send(
                        request.timeout(Duration.ofMinutes(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(
                    request.build().method()
                            + " "
                            + request.build().uri()
                            + ": "
                            + r.statusCode()
                            + " "
                            + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** True once the REST endpoint answers. */
    boolean up() {
        try {
            get("/overview");
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** TaskManagers registered and free slots, from {@code /overview}. */
    int taskManagers() throws IOException, InterruptedException {
        return get("/overview").path("taskmanagers").asInt();
    }

    /** {@code POST /jars/upload} (multipart, field {@code jarfile}); returns the jar id. */
    String upload(Path jar) throws IOException, InterruptedException {
        String boundary = "----bloomstream" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                                + jar.getFileName()
                                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        JsonNode r =
                send(
                        HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        if (!"success".equals(r.path("status").asText())) {
            throw new IOException("jar upload: " + r);
        }
        return Path.of(r.path("filename").asText()).getFileName().toString();
    }

    /**
     * {@code POST /jars/:id/run}: runs the jar's entry class with these arguments, from a savepoint
     * when one is given; returns the job id.
     */
    String run(String jarId, String entryClass, List<String> args, String savepoint)
            throws IOException, InterruptedException {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("entryClass", entryClass);
        body.put("programArgsList", args);
        if (savepoint != null) {
            body.put("savepointPath", savepoint);
            body.put("allowNonRestoredState", false);
        }
        return post("/jars/" + jarId + "/run", body).path("jobid").asText();
    }

    /** The job's state ({@code RUNNING}, {@code RESTARTING}, ...). */
    String state(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /** True when the job runs and every one of its tasks is RUNNING. */
    boolean allTasksRunning(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode v : job.path("vertices")) {
            if (!"RUNNING".equals(v.path("status").asText())) {
                return false;
            }
        }
        return true;
    }

    /** Ids of the TaskManagers that run at least one task of the job. */
    Set<String> taskManagersOf(String jobId) throws IOException, InterruptedException {
        Set<String> ids = new HashSet<>();
        for (JsonNode v : get("/jobs/" + jobId).path("vertices")) {
            JsonNode tms =
                    get("/jobs/" + jobId + "/vertices/" + v.path("id").asText() + "/taskmanagers");
            for (JsonNode tm : tms.path("taskmanagers")) {
                ids.add(tm.path("taskmanager-id").asText());
            }
        }
        return ids;
    }

    /** Completed checkpoints of the job so far. */
    long completedCheckpoints(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }

    /** Restarts of the job so far (failovers), from its checkpoint statistics' restored count. */
    long restored(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("restored").asLong();
    }

    /**
     * {@code POST /jobs/:id/stop}: stop-with-savepoint into {@code dir}; returns the savepoint's
     * location once it completed.
     */
    String stopWithSavepoint(String jobId, String dir, Duration timeout)
            throws IOException, InterruptedException {
        String trigger =
                post("/jobs/" + jobId + "/stop", Map.of("targetDirectory", dir, "drain", false))
                        .path("request-id")
                        .asText();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode s = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if ("COMPLETED".equals(s.path("status").path("id").asText())) {
                JsonNode op = s.path("operation");
                if (op.has("failure-cause")) {
                    throw new IOException("stop-with-savepoint failed: " + op);
                }
                return op.path("location").asText();
            }
            Thread.sleep(250);
        }
        throw new IOException("stop-with-savepoint did not complete in " + timeout);
    }
}
