/**
 * The DDoS filter ({@code netbypass offload}): a rule language ({@code rules}), its compilation
 * into a per-packet classifier and a plain reference evaluator ({@code compile}), and the
 * engine that runs a compiled set over a port's RX rings ({@code engine}).
 */
package io.netbypass.filter;
