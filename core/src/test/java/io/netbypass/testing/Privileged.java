package io.netbypass.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that needs root (network namespaces, veth, BPF, raw sockets). Without privileges it is
 * skipped with the reason; with {@code CI=true} it fails instead, so CI cannot go green without
 * running it. Every outcome is recorded in {@code target/privileged-ledger.txt}, which .ci/run checks.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("privileged")
@ExtendWith(PrivilegedGuard.class)
public @interface Privileged {
}
