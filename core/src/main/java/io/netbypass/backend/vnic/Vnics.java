package io.netbypass.backend.vnic;

import io.netbypass.backend.WireTraffic;
import io.netbypass.port.PortException;
import io.netbypass.port.PortName;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The software NICs of this process by name. Opening {@code vnic:eth3} finds eth3 here or
 * creates it with {@link Vnic#DEFAULT_QUEUES} queues, as a VALE switch is made on first use.
 */
public final class Vnics {
    private static final Map<String, Vnic> NICS = new ConcurrentHashMap<>();

    private Vnics() {
    }

    /** The backend is built in: always available. */
    public static boolean isAvailable() {
        return true;
    }

    public static Vnic get(String device) {
        return NICS.computeIfAbsent(device, d -> new Vnic(d, Vnic.DEFAULT_QUEUES));
    }

    /** The NIC of that name in this process, or null (unlike {@link #get}, makes none). */
    public static Vnic find(String device) {
        return NICS.get(device);
    }

    /** Adds a NIC made by the caller; refused when the name is taken. */
    public static Vnic add(Vnic nic) {
        if (NICS.putIfAbsent(nic.name(), nic) != null) {
            throw new PortException("vnic " + nic.name() + " already exists");
        }
        return nic;
    }

    public static void remove(Vnic nic) {
        NICS.remove(nic.name(), nic);
    }

    public static VnicPort open(PortName name) {
        return get(name.device()).open(name);
    }

    /** Opens the port; its receive queues' wire is fed {@code traffic} (null: by nobody) until it stops receiving. */
    public static VnicPort open(PortName name, WireTraffic traffic) {
        VnicPort port = open(name);
        if (traffic != null && port.rxRings() > 0) {
            try {
                port.feed(traffic);
            } catch (RuntimeException e) {
                port.close();
                throw e;
            }
        }
        return port;
    }
}
