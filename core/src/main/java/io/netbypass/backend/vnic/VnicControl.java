package io.netbypass.backend.vnic;

import io.netbypass.control.NicControl;
import io.netbypass.scaling.ntuple.NtupleFormatter;
import io.netbypass.scaling.ntuple.NtupleScript;
import io.netbypass.scaling.ntuple.NtupleTable;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;
import io.netbypass.util.UserException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The software NIC behind {@link NicControl}: its RSS table and ntuple rules; it has no LRO or GRO to turn off. */
public final class VnicControl implements NicControl {
    private final Vnic nic;

    public VnicControl(Vnic nic) {
        this.nic = nic;
    }

    @Override
    public String name() {
        return "vnic:" + nic.name();
    }

    @Override
    public int rxQueues() {
        return nic.queues();
    }

    @Override
    public IndirectionTable rssTable() {
        return nic.indirection();
    }

    @Override
    public void setRssTable(IndirectionTable table) {
        nic.indirection(table);
    }

    @Override
    public List<RxFlowSpec> ntupleRules() {
        NtupleTable t = nic.ntupleTable();
        List<RxFlowSpec> out = new ArrayList<>();
        for (int loc : t.locations()) {
            out.add(t.rule(loc));
        }
        return out;
    }

    @Override
    public void insertRule(RxFlowSpec rule) {
        nic.ntuple(NtupleScript.parse(List.of(NtupleFormatter.toCommand(rule))));
    }

    @Override
    public void deleteRule(int location) {
        nic.ntuple(NtupleScript.parse(List.of("delete " + location)));
    }

    @Override
    public Map<String, boolean[]> features() {
        return Map.of();
    }

    @Override
    public void setFeature(String name, boolean on) {
        throw new UserException(name() + " has no feature " + name);
    }
}
