package dev.tokenvault.server.auth; public record AuthenticationFailed(String reason, String clientId, String sourceIp, java.time.Instant at) {}
