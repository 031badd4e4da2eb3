package io.netbypass.scaling.steering;

/**
 * Which RFS flow entry a steering decision used, so the enqueue that follows can record the
 * backlog tail in it (the kernel's {@code rflow} pointer). Owned by one steering thread, reused
 * for every packet; when no entry was used it points nowhere, like the kernel's {@code voidflow}.
 */
public final class FlowRef {
    RpsFlowTable table;
    int index;

    void clear() {
        table = null;
        index = 0;
    }

    void set(RpsFlowTable table, int index) {
        this.table = table;
        this.index = index;
    }

    /** Whether the last decision went through an RFS entry. */
    public boolean isSet() {
        return table != null;
    }

    public int index() {
        return index;
    }
}
