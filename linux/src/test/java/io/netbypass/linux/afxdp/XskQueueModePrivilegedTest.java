package io.netbypass.linux.afxdp;

import io.netbypass.linux.Native;
import io.netbypass.linux.afxdp.XskSocket;
import io.netbypass.linux.bpf.Bpf;
import io.netbypass.linux.xdp.XdpAttachment;
import io.netbypass.linux.xdp.XdpPrograms;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParsedPacket;
import io.netbypass.testing.Privileged;
import io.netbypass.testing.TestNetwork;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The single RX queue bypass on a real kernel: an AF_XDP socket on queue 2 of a veth gets
 * exactly the packets that arrive on queue 2; with the socket on another queue, the same packets
 * reach the kernel's UDP socket instead.
 */
@Privileged
class XskQueueModePrivilegedTest {
    private static final int DATAGRAMS = 50;

    /** Static neighbours (ARP would ride the bypassed queue too), and XPS: CPU 0's traffic leaves A on TX queue 2. */
    private static void steerToQueue2(TestNetwork net) throws Exception {
        net.staticNeighbours();
        net.exec(net.nsA, 10, "bash", "-c", "for q in 0 1 2 3; do echo 0 > /sys/class/net/" + net.ifA + "/queues/tx-$q/xps_cpus;"
                + " done; echo 1 > /sys/class/net/" + net.ifA + "/queues/tx-2/xps_cpus").orFail("xps");
    }

    private static void send(TestNetwork net, int port) throws Exception {
        net.exec(net.nsA, 20, "taskset", "-c", "0", "bash", "-c", "for i in $(seq 1 " + DATAGRAMS + "); do echo nb$i > /dev/udp/"
                + net.addressB + "/" + port + "; done").orFail("send");
    }

    @Test
    void queue2sSocketGetsQueue2sPacketsAndTheKernelGetsThemWhenItIsNotThere() throws Exception {
        try (TestNetwork net = TestNetwork.create(4)) {
            steerToQueue2(net);
            ExecutorService inB = Executors.newSingleThreadExecutor();
            try {
                inB.submit(() -> {
                    Native.enterNetworkNamespace(net.nsB);
                    int map = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 4, "nb_xsks");
                    try (XdpAttachment xdp = XdpAttachment.attach(net.ifB, "nb_queues", XdpPrograms.queueRedirect(map), null);
                         DatagramSocket kernel = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(net.addressB), 0));
                         XskSocket q2 = XskSocket.open(net.ifB, 2, 4096, 2048, 2048)) {
                        kernel.setSoTimeout(300);
                        int port = kernel.getLocalPort();
                        Bpf.mapUpdate(map, 2, q2.fd(), "queue 2");

                        send(net, port);
                        int[] ours = new int[1];
                        ParsedPacket p = new ParsedPacket();
                        long end = System.nanoTime() + 5_000_000_000L;
                        while (ours[0] < DATAGRAMS && System.nanoTime() < end) {
                            q2.receive((umem, offset, length) -> {
                                PacketParser.parse(umem, offset, length, LinkType.ETHERNET, p);
                                if (p.ipProtocol() == IpProtocols.UDP && p.destinationPort() == port) {
                                    ours[0]++;
                                }
                            });
                        }
                        assertEquals(DATAGRAMS, ours[0], "every datagram of queue 2 reached the AF_XDP socket ("
                                + q2 + ", " + q2.received() + " frames)");
                        assertThrows(SocketTimeoutException.class, () -> kernel.receive(new DatagramPacket(new byte[64], 64)),
                                "none reached the kernel");

                        // Queue 2 back to the kernel: its socket leaves the map; another socket takes queue 1.
                        Bpf.mapDelete(map, 2, "queue 2");
                        try (XskSocket q1 = XskSocket.open(net.ifB, 1, 4096, 2048, 2048)) {
                            Bpf.mapUpdate(map, 1, q1.fd(), "queue 1");
                            send(net, port);
                            int kernelGot = 0;
                            try {
                                while (kernelGot < DATAGRAMS) {
                                    kernel.receive(new DatagramPacket(new byte[64], 64));
                                    kernelGot++;
                                }
                            } catch (SocketTimeoutException e) {
                                // counted below
                            }
                            assertEquals(DATAGRAMS, kernelGot, "queue 2's datagrams reached the kernel's socket");
                            // Other traffic (IPv6 neighbour discovery of the namespaces) may use any queue: count ours.
                            int[] stray = new int[1];
                            XskSocket.FrameHandler ourDatagrams = (umem, offset, length) -> {
                                PacketParser.parse(umem, offset, length, LinkType.ETHERNET, p);
                                if (p.ipProtocol() == IpProtocols.UDP && p.destinationPort() == port) {
                                    stray[0]++;
                                }
                            };
                            q1.receive(ourDatagrams);
                            q2.receive(ourDatagrams);
                            assertEquals(0, stray[0], "no AF_XDP socket saw queue 2's datagrams once it left the map");
                        }
                    } finally {
                        Native.close(map);
                    }
                    return null;
                }).get();
            } finally {
                inB.shutdownNow();
            }
        }
    }
}
