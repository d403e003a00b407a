package org.bloomstream.ingest.http;

/** An answer that ends a request early: a status and a reason for the client. */
final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    Refusal(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
