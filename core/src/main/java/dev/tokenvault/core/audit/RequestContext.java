package dev.tokenvault.core.audit;

import java.util.List;
import java.util.Objects;

/**
 * Who asked, from where, under which request id: what every audit event records about its
 * origin (PCI DSS 10.2.2: user, origin). Never holds a credential or a bearer token.
 *
 * @param principal the authenticated subject ({@code sub}), or {@code anonymous}
 * @param clientId the OAuth2 client ({@code client_id}/{@code azp}), may be null
 * @param scopes the scopes granted to the request
 * @param sourceIp the caller's address, may be null
 * @param userAgent the caller's User-Agent, may be null
 * @param clientCertSubject the subject of the TLS client certificate, may be null
 * @param requestId an id that ties together logs, audit events and the response
 */
public record RequestContext(
    String principal,
    String clientId,
    List<String> scopes,
    String sourceIp,
    String userAgent,
    String clientCertSubject,
    String requestId) {

  public RequestContext {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(requestId, "requestId");
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
  }

  /** The vault itself, acting without a caller (start-up, background key work). */
  public static RequestContext system(String requestId) {
    return new RequestContext("tokenvault", "tokenvault", List.of(), null, null, null, requestId);
  }
}
