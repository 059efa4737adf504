package dev.tokenvault.server.auth;

import jakarta.enterprise.context.RequestScoped;

/** The verified caller of the current request, set by {@link BearerAuthFilter}. */
@RequestScoped
public class CurrentCaller {
  private Caller caller;

  void set(Caller caller) {
    this.caller = caller;
  }

  /** The caller; a route that needs one is only reached once the filter set it. */
  public Caller get() {
    if (caller == null) {
      throw new IllegalStateException("no authenticated caller on this request");
    }
    return caller;
  }
}
