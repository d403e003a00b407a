package org.bloomstream.inference.image;

import org.bloomstream.schemas.avro.DeadLetterReason;

/** A crop that cannot enter the model, with the dead-letter reason that says why. */
public class CropRejectedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final DeadLetterReason reason;

    public CropRejectedException(DeadLetterReason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public CropRejectedException(DeadLetterReason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
