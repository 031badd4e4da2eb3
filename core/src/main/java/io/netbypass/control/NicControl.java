package io.netbypass.control;

import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * ethtool's operations on one NIC, whatever it is: a kernel interface (through ethtool netlink
 * and SIOCETHTOOL) or the in-process software NIC. Something the device lacks answers null (no
 * RSS table, no ntuple filters) rather than failing, so a plan can say so and go another way.
 */
public interface NicControl {
    /** How the journal names this NIC in its targets ({@code eth3}, {@code vnic:eth3}). */
    String name();

    int rxQueues() throws IOException;

    /** The RSS indirection table, or null when the NIC has none. */
    IndirectionTable rssTable() throws IOException;

    void setRssTable(IndirectionTable table) throws IOException;

    /** The ntuple rules (each with its location), or null when the NIC has no ntuple filters. */
    List<RxFlowSpec> ntupleRules() throws IOException;

    /** Inserts a rule at its location (which it must have). */
    void insertRule(RxFlowSpec rule) throws IOException;

    void deleteRule(int location) throws IOException;

    /** Features by kernel name: on or off, and whether they can be changed (name -> {active, changeable}). */
    Map<String, boolean[]> features() throws IOException;

    void setFeature(String name, boolean on) throws IOException;
}
