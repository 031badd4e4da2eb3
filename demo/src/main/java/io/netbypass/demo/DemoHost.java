package io.netbypass.demo;

import io.netbypass.backend.vnic.HostStack;
import io.netbypass.packet.DnsQuery;
import io.netbypass.packet.IpProtocols;
import io.netbypass.packet.LinkType;
import io.netbypass.packet.PacketParser;
import io.netbypass.packet.ParseStatus;
import io.netbypass.packet.ParsedPacket;

import java.lang.foreign.MemorySegment;

/** The demo's host stack application: a DNS server on UDP 53 that tells valid queries from junk, and everything else. */
final class DemoHost implements HostStack.Application {
    private final ParsedPacket parsed = new ParsedPacket();
    long validQueries;
    long junkToDns;
    long other;

    @Override
    public void receive(int queue, MemorySegment segment, long offset, int length) {
        PacketParser.parse(segment, offset, length, LinkType.ETHERNET, parsed);
        if (parsed.ipProtocol() == IpProtocols.UDP && parsed.destinationPort() == 53) {
            if (DnsQuery.isValidQuery(segment, offset + parsed.payloadOffset(), parsed.payloadLength())) {
                validQueries++;
            } else {
                junkToDns++;
            }
        } else {
            other++;
        }
    }
}
