package dev.tokenvault.server.it;

/** The flow on SQLite with the PKCS#11 key manager on a SoftHSM2 token ({@link SoftHsm2Backend}). */
class Pkcs11FlowIT extends AdapterFlowIT {
  @Override
  Backend openBackend() {
    return new SoftHsm2Backend();
  }
}
