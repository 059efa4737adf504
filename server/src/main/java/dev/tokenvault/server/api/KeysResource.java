package dev.tokenvault.server.api;

import dev.tokenvault.core.value.InvalidValueException;
import dev.tokenvault.core.vault.KeyAdministration;
import dev.tokenvault.core.vault.KeyAdministration.KeyReport;
import dev.tokenvault.core.vault.KeyAdministration.RewrapProgress;
import dev.tokenvault.server.auth.RequiresScope;
import dev.tokenvault.server.auth.Scopes;
import dev.tokenvault.server.error.Problem;
import dev.tokenvault.server.wiring.VaultProducer;
import jakarta.inject.Inject;
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
 * {@code /v1/keys}: KEK rotation, the key report and retirement, for key custodians (scope {@code
 * keys.admin}). Every call is audited by the vault ({@code RotateKey}, {@code RetireKey}); the
 * rewrap that a rotation starts audits each data key ({@code RewrapDataKey}).
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
  public record ReportDto(String kekId, int currentVersion, List<VersionDto> versions, RewrapDto rewrap) {
    static ReportDto of(KeyReport r) {
      return new ReportDto(
          r.kekId(),
          r.currentVersion(),
          r.versions().stream().map(v -> new VersionDto(v.version(), v.held(), v.dataKeys())).toList(),
          RewrapDto.of(r.rewrap()));
    }
  }

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
    return keys().report().thenApply(ReportDto::of);
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
    return keys().retire(v, api.requestContext()).thenApply(ReportDto::of);
  }
}
