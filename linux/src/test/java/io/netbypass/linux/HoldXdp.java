package io.netbypass.linux;

import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpPrograms;

/** A process that attaches an XDP_DROP program in a namespace and holds it until killed (for the kill -9 test). */
public final class HoldXdp {
    private HoldXdp() {
    }

    public static void main(String[] args) throws Exception {
        Native.enterNetworkNamespace(args[0]);
        XdpAttachment a = XdpAttachment.attach(args[1], "nb_hold", XdpPrograms.dropAll(), null);
        System.out.println("attached " + a.mode());
        System.out.flush();
        Thread.sleep(120_000);
        a.close();
    }
}
