/**
 * Everything that talks to the Linux kernel, through the Foreign Function & Memory API only:
 * system calls with errno ({@link io.netbypass.linux.Native}), network namespaces, bpf(2) and
 * our own eBPF assembler ({@code bpf}), XDP programs and AF_XDP sockets.
 */
package io.netbypass.linux;
