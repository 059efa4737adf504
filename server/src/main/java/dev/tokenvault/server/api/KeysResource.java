package dev.tokenvault.server.api;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.value.Namespace;
import dev.tokenvault.core.vault.FingerprintAdministration.NamespaceReport;
import dev.tokenvault.core.vault.FingerprintAdministration.Progress;
import dev.tokenvault.core.vault.KeyAdministration;
import dev.tokenvault.core.vault.KeyAdministration.KeyReport;
import dev.tokenvault.core.vault.KeyAdministration.RewrapProgress;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.wiring.VaultProducer;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/keys}: KEK rotation, the key report and retirement, and the same for each namespace's
 * fingerprint key, for key custodians (scope {@code keys.admin}). Every call is audited by the
 * vault ({@code RotateKey}, {@code RetireKey}, {@code RotateFingerprintKey}, {@code
 * RetireFingerprintKey}); the rewrap that a KEK rotation starts audits each data key ({@code
 * RewrapDataKey}), the re-fingerprint that a fingerprint-key rotation starts each token ({@code
 * RefingerprintToken}).
 */
@Path("/v1/keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "keys")
public class KeysResource {
  @Inject VaultProducer vault;
  @Inject ApiContext api;

  @Schema(name = "RewrapProgress")
  public record RewrapDto(
      @Schema(description = "idle, running, done or failed") String state,
      long rewrapped,
      long failed,
      @Schema(description = "why it stopped, when failed") String errorCode) {
    static RewrapDto of(RewrapProgress p) {
      return new RewrapDto(
          p.state().name().toLowerCase(Locale.ROOT), p.rewrapped(), p.failed(), p.errorCode());
    }
  }

  @Schema(name = "KekVersion")
  public record VersionDto(
      int version,
      @Schema(description = "whether the key manager still holds it (false once retired)") boolean held,
      @Schema(description = "data keys stored wrapped under it") long dataKeys) {}

  @Schema(name = "KeyReport")
  public record ReportDto(
      String kekId,
      int currentVersion,
      List<VersionDto> versions,
      RewrapDto rewrap,
      @Schema(description = "every namespace that has a fingerprint key")
          List<FingerprintReportDto> fingerprintKeys) {
    static ReportDto of(KeyReport r, List<NamespaceReport> fingerprints) {
      return new ReportDto(
          r.kekId(),
          r.currentVersion(),
          r.versions().stream().map(v -> new VersionDto(v.version(), v.held(), v.dataKeys())).toList(),
          RewrapDto.of(r.rewrap()),
          fingerprints.stream().map(FingerprintReportDto::of).toList());
    }
  }

  @Schema(name = "RefingerprintProgress")
  public record RefingerprintDto(
      @Schema(description = "idle, running, done or failed") String state,
      long moved,
      long failed,
      @Schema(description = "why it stopped, when failed") String errorCode) {
    static RefingerprintDto of(Progress p) {
      return new RefingerprintDto(
          p.state().name().toLowerCase(Locale.ROOT), p.moved(), p.failed(), p.errorCode());
    }
  }

  @Schema(name = "FingerprintKeyReport")
  public record FingerprintReportDto(
      String namespace,
      @Schema(description = "the version new fingerprints are made with") int currentVersion,
      @Schema(description = "every stored version, ascending") List<Integer> versions,
      @Schema(description = "tokens whose fingerprint is of an older version (counted while more"
          + " than one version is stored)") long tokensOnOlderVersions,
      RefingerprintDto refingerprint) {
    static FingerprintReportDto of(NamespaceReport r) {
      return new FingerprintReportDto(
          r.namespace().name(),
          r.currentVersion(),
          r.versions(),
          r.tokensOnOlderVersions(),
          RefingerprintDto.of(r.job()));
    }
  }

  @Schema(name = "FingerprintRotationRequest")
  public record FingerprintRotationRequest(@Schema(required = true) String namespace) {}

  @Schema(name = "FingerprintRotation")
  public record FingerprintRotationDto(
      String namespace, int previousVersion, int currentVersion, RefingerprintDto refingerprint) {}

  @Schema(name = "Rotation")
  public record RotationDto(String kekId, int previousVersion, int currentVersion, RewrapDto rewrap) {}

  private KeyAdministration keys() {
    return vault.keyAdministration();
  }

  @GET
  @RequiresScope(Scopes.KEYS_ADMIN)
  @Operation(summary = "The KEK, its versions with the data keys wrapped under each, and the rewrap's progress")
  @SecurityRequirement(name = "bearer", scopes = Scopes.KEYS_ADMIN)
  @APIResponse(responseCode = "200", description = "the key report",
      content = @Content(schema = @Schema(implementation = ReportDto.class)))
  public CompletionStage<ReportDto> report() {
    return keys()
        .report()
        .thenCompose(
            kek -> vault.fingerprintKeys().report().thenApply(fps -> ReportDto.of(kek, fps)));
  }

  @POST
  @Path("/rotate")
  @RequiresScope(Scopes.KEYS_ADMIN)
  @Operation(summary = "Make a new KEK version current; data keys are rewrapped in the background")
  @SecurityRequirement(name = "bearer", scopes = Scopes.KEYS_ADMIN)
  @APIResponse(responseCode = "202", description = "rotated; the rewrap runs (see GET /v1/keys)",
      content = @Content(schema = @Schema(implementation = RotationDto.class)))
  @APIResponse(responseCode = "409", description = "kek_managed_externally (AWS KMS: see docs/key-managers.md)",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "503", description = "key_manager_unavailable or vault_sealed",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  public CompletionStage<Response> rotate() {
    return keys()
        .rotate(api.requestContext())
        .thenApply(
            r -> Response.status(202)
                .entity(new RotationDto(r.kekId(), r.previousVersion(), r.currentVersion(),
                    RewrapDto.of(r.rewrap())))
                .build());
  }

  @DELETE
  @Path("/versions/{version}")
  @RequiresScope(Scopes.KEYS_ADMIN)
  @Operation(summary = "Retire (destroy) an old KEK version once no data key is wrapped under it")
  @SecurityRequirement(name = "bearer", scopes = Scopes.KEYS_ADMIN)
  @APIResponse(responseCode = "200", description = "retired; the key report after it",
      content = @Content(schema = @Schema(implementation = ReportDto.class)))
  @APIResponse(responseCode = "409",
      description = "kek_version_in_use (data keys still wrapped under it), kek_version_current,"
          + " kek_managed_externally",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "404", description = "kek_version_not_found")
  public CompletionStage<ReportDto> retire(@PathParam("version") String version) {
    int v;
    try {
      v = Integer.parseInt(version);
    } catch (NumberFormatException e) {
      throw new InvalidValueException("invalid_version", "version", "version must be a positive integer");
    }
    if (v < 1) {
      throw new InvalidValueException("invalid_version", "version", "version must be a positive integer");
    }
    return keys()
        .retire(v, api.requestContext())
        .thenCompose(
            kek -> vault.fingerprintKeys().report().thenApply(fps -> ReportDto.of(kek, fps)));
  }

  @POST
  @Path("/fingerprint/rotate")
  @Consumes(MediaType.APPLICATION_JSON)
  @RequiresScope(Scopes.KEYS_ADMIN)
  @Operation(summary = "Make a new fingerprint-key version current in a namespace; its tokens are"
      + " re-fingerprinted in the background")
  @SecurityRequirement(name = "bearer", scopes = Scopes.KEYS_ADMIN)
  @APIResponse(responseCode = "202", description = "rotated; the re-fingerprint runs (see GET /v1/keys)",
      content = @Content(schema = @Schema(implementation = FingerprintRotationDto.class)))
  @APIResponse(responseCode = "400", description = "invalid_namespace, reserved_namespace",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "404", description = "fingerprint_key_not_found (nothing tokenized in the namespace yet)",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "409",
      description = "fingerprint_refingerprint_incomplete (the previous rotation's re-fingerprint"
          + " has not moved every token yet), fingerprint_rotation_conflict",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "503", description = "key_manager_unavailable or vault_sealed",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  public CompletionStage<Response> rotateFingerprint(FingerprintRotationRequest body) {
    Bodies.required(body);
    Namespace ns = new Namespace(Bodies.requiredField(body.namespace(), "namespace"));
    return vault
        .fingerprintKeys()
        .rotate(ns, api.requestContext())
        .thenApply(
            r -> Response.status(202)
                .entity(new FingerprintRotationDto(r.namespace().name(), r.previousVersion(),
                    r.currentVersion(), RefingerprintDto.of(r.job())))
                .build());
  }

  @DELETE
  @Path("/fingerprint/{namespace}/versions/{version}")
  @RequiresScope(Scopes.KEYS_ADMIN)
  @Operation(summary = "Retire (destroy) an old fingerprint-key version of a namespace once no"
      + " token carries a fingerprint of it")
  @SecurityRequirement(name = "bearer", scopes = Scopes.KEYS_ADMIN)
  @APIResponse(responseCode = "200", description = "retired; the namespace's fingerprint-key report after it",
      content = @Content(schema = @Schema(implementation = FingerprintReportDto.class)))
  @APIResponse(responseCode = "409",
      description = "fingerprint_version_in_use (tokens still carry it; the re-fingerprint is"
          + " started again), fingerprint_version_current",
      content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
  @APIResponse(responseCode = "404", description = "fingerprint_version_not_found, fingerprint_key_not_found")
  public CompletionStage<FingerprintReportDto> retireFingerprint(
      @PathParam("namespace") String namespace, @PathParam("version") String version) {
    Namespace ns = new Namespace(namespace);
    return vault
        .fingerprintKeys()
        .retire(ns, positive(version), api.requestContext())
        .thenApply(FingerprintReportDto::of);
  }

  private static int positive(String version) {
    int v;
    try {
      v = Integer.parseInt(version);
    } catch (NumberFormatException e) {
      throw new InvalidValueException("invalid_version", "version", "version must be a positive integer");
    }
    if (v < 1) {
      throw new InvalidValueException("invalid_version", "version", "version must be a positive integer");
    }
    return v;
  }
}
