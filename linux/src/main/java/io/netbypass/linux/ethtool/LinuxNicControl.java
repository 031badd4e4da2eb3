package io.netbypass.linux.ethtool;

import io.netbypass.control.NicControl;
import io.netbypass.linux.Errno;
import io.netbypass.linux.LinuxException;
import io.netbypass.scaling.ntuple.RxFlowSpec;
import io.netbypass.scaling.rss.IndirectionTable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A kernel interface behind {@link NicControl}: ethtool netlink for features, SIOCETHTOOL for RSS and ntuple. */
public final class LinuxNicControl implements NicControl {
    private final String ifName;

    public LinuxNicControl(String ifName) {
        this.ifName = ifName;
    }

    @Override
    public String name() {
        return ifName;
    }

    private static IOException io(LinuxException e) {
        return new IOException(e.getMessage(), e);
    }

    private static boolean lacks(LinuxException e) {
        return e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.EINVAL;
    }

    @Override
    public int rxQueues() throws IOException {
        try {
            return Ethtool.rxQueues(ifName);
        } catch (LinuxException e) {
            throw io(e);
        }
    }

    @Override
    public IndirectionTable rssTable() throws IOException {
        try {
            int[] t = Ethtool.rssTable(ifName);
            return t.length == 0 ? null : IndirectionTable.of(t);
        } catch (LinuxException e) {
            if (e.errno() == Errno.EOPNOTSUPP) {
                return null;
            }
            throw io(e);
        }
    }

    @Override
    public void setRssTable(IndirectionTable table) throws IOException {
        try {
            Ethtool.send(ifName, EthtoolStructs.setRss(0, table, null), "ETHTOOL_SRSSH");
        } catch (LinuxException e) {
            throw io(e);
        }
    }

    @Override
    public List<RxFlowSpec> ntupleRules() throws IOException {
        try {
            List<RxFlowSpec> out = new ArrayList<>();
            for (byte[] r : Ethtool.ntupleRules(ifName)) {
                out.add(RxFlowSpec.fromBytes(r, 0));
            }
            return out;
        } catch (LinuxException e) {
            if (lacks(e)) {
                return null;
            }
            throw io(e);
        }
    }

    @Override
    public void insertRule(RxFlowSpec rule) throws IOException {
        try {
            Ethtool.send(ifName, EthtoolStructs.insertRule(rule), "ETHTOOL_SRXCLSRLINS");
        } catch (LinuxException e) {
            throw io(e);
        }
    }

    @Override
    public void deleteRule(int location) throws IOException {
        try {
            Ethtool.send(ifName, EthtoolStructs.deleteRule(location), "ETHTOOL_SRXCLSRLDEL");
        } catch (LinuxException e) {
            throw io(e);
        }
    }

    @Override
    public Map<String, boolean[]> features() throws IOException {
        try (EthtoolNetlink e = EthtoolNetlink.open()) {
            Map<String, boolean[]> out = new LinkedHashMap<>();
            e.features(ifName).forEach((name, f) -> out.put(name, new boolean[] {f.active(), f.changeable()}));
            return out;
        } catch (LinuxException e) {
            throw io(e);
        }
    }

    @Override
    public void setFeature(String name, boolean on) throws IOException {
        try (EthtoolNetlink e = EthtoolNetlink.open()) {
            List<String> refused = e.setFeatures(ifName, Map.of(name, on));
            if (!refused.isEmpty()) {
                throw new IOException("not changed: " + refused);
            }
        } catch (LinuxException e) {
            throw io(e);
        }
    }
}
