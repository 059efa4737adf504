package dev.tokenvault.core.audit;

/** An audit event as stored: its position in the chain and the event. */
public record StoredAuditEvent(long sequence, AuditEvent event) {}
