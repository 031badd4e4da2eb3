package io.netbypass.metrics;

/**
 * Layout of a counters file: a header, then one metadata record per counter (state and label),
 * then one value per counter on its own cache line. Labels are Prometheus series names, e.g.
 * {@code netbypass_rx_packets_total{port="vnic:eth3-4/R"}}. Values are written with release and
 * read with acquire semantics; the file is the whole interface between the engine and
 * {@code netbypass stat} or the metrics endpoint.
 */
public final class CountersDescriptor {
    /** "NBCNTRS1" */
    public static final long MAGIC = 0x4e42434e54525331L;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int CAPACITY_OFFSET = 12;
    public static final int PID_OFFSET = 16;
    public static final int START_MILLIS_OFFSET = 24;
    /** Wall-clock millis of the last publish: a reader can tell a stalled or dead writer. */
    public static final int HEARTBEAT_MILLIS_OFFSET = 32;
    public static final int NAME_LENGTH_OFFSET = 40;
    public static final int NAME_OFFSET = 44;
    public static final int MAX_NAME_LENGTH = 208;
    /** The most counters a file holds (a reader refuses larger files). */
    public static final int MAX_CAPACITY = 1 << 20;
    public static final int HEADER_LENGTH = 256;

    public static final int RECORD_LENGTH = 256;
    public static final int RECORD_STATE_OFFSET = 0;
    public static final int RECORD_LABEL_LENGTH_OFFSET = 4;
    public static final int RECORD_LABEL_OFFSET = 8;
    public static final int MAX_LABEL_LENGTH = RECORD_LENGTH - RECORD_LABEL_OFFSET;

    public static final int STATE_FREE = 0;
    public static final int STATE_ALLOCATED = 1;

    /** Each value on its own cache line: readers never share one with the writer's next counter. */
    public static final int VALUE_LENGTH = 64;

    private CountersDescriptor() {
    }

    public static long recordOffset(int id) {
        return HEADER_LENGTH + (long) id * RECORD_LENGTH;
    }

    public static long valueOffset(int capacity, int id) {
        return HEADER_LENGTH + (long) capacity * RECORD_LENGTH + (long) id * VALUE_LENGTH;
    }

    public static long fileLength(int capacity) {
        return valueOffset(capacity, capacity);
    }
}
