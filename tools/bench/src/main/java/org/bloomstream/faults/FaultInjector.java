package org.bloomstream.faults;

import org.apache.flink.api.common.functions.MapFunction;

/**
 * A pass-through operator that fails or stalls when {@link FaultSwitch} says so. Stateless: adding
 * or removing it changes no state, so savepoints restore across it either way.
 *
 * @param <T> the records passing through
 */
public final class FaultInjector<T> implements MapFunction<T, T> {
    private static final long serialVersionUID = 1L;

    /** What this point does when armed. */
    public enum Role {
        /** Throws once per {@link FaultSwitch#armFailure()}: the task fails, the job restarts. */
        FAIL,
        /** Blocks while {@link FaultSwitch#stall} is armed: backpressure, delayed checkpoints. */
        STALL
    }

    private final Role role;

    public FaultInjector(Role role) {
        this.role = role;
    }

    @Override
    public T map(T value) throws Exception {
        if (role == Role.FAIL) {
            if (FaultSwitch.takeFailure()) {
                throw new FaultSwitch.InjectedFailure();
            }
        } else {
            FaultSwitch.awaitStall();
        }
        return value;
    }
}
