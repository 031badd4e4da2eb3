package io.netbypass.linux.afxdp;

import io.netbypass.linux.KernelPortContract;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

/** The ring contract on {@code xdp:}: AF_XDP sockets on queue 0 of a veth, our XDP program sending that queue to them. */
@Privileged
class XdpPortContractPrivilegedTest extends KernelPortContract {
    @Override
    protected Names names(TestNetwork net) {
        return new Names("xdp:" + net.ifB + "-0/R", "xdp:" + net.ifB + "-0/T", net.ifA);
    }
}
