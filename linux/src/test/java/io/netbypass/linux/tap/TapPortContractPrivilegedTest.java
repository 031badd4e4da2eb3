package io.netbypass.linux.tap;

import io.netbypass.linux.KernelPortContract;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

/**
 * The ring contract on {@code tap:NAME}: what the kernel sends out of the TAP (an {@code afpacket:}
 * port on it, in the same namespace) arrives on its RX ring; its TX ring puts frames into the
 * kernel as received on the TAP, where an {@code afpacket:} port sees them.
 */
@Privileged
class TapPortContractPrivilegedTest extends KernelPortContract {
    @Override
    protected Names names(TestNetwork net) {
        String tap = "nbct" + Long.toString(ProcessHandle.current().pid() % 100000) + (System.nanoTime() % 1000);
        return new Names("tap:" + tap, "tap:" + tap, tap);
    }

    @Override
    protected boolean facingInOtherNamespace() {
        return false;
    }
}
