package io.netbypass.linux.afpacket;

import io.netbypass.linux.KernelPortContract;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

/** The ring contract on {@code afpacket:}: a TPACKET_V3 socket on a veth, sendmmsg out of it. */
@Privileged
class AfPacketPortContractPrivilegedTest extends KernelPortContract {
    @Override
    protected Names names(TestNetwork net) {
        return new Names("afpacket:" + net.ifB, "afpacket:" + net.ifB, net.ifA);
    }
}
