package org.bloomstream.inference.types;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A stateless serializer whose {@code copy} returns the record itself. Flink copies every record
 * handed to a chained operator when object reuse is off (the job's default, kept because other
 * operators rely on it); for a record that is never changed once emitted, that copy is pure cost.
 * Whether a type qualifies is a contract of the operators that make and read it, stated on each
 * subclass; the type itself stays mutable, so {@link #isImmutableType} says false.
 *
 * <p>Subclasses write the fields by hand, for the rare case where a record crosses the network.
 */
public abstract class ByReferenceSerializer<T> extends TypeSerializerSingleton<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public final boolean isImmutableType() {
        return false; // by contract rather than by type: see the class comment
    }

    @Override
    public final T copy(T from) {
        return from;
    }

    @Override
    public final T copy(T from, T reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public final T deserialize(T reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public final void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }
}
