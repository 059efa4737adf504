package dev.tokenvault.server.it;

/** The flow on DynamoDB Local ({@link DynamoDbBackend}) with the local key manager. */
class DynamoDbFlowIT extends AdapterFlowIT {
  @Override
  Backend openBackend() {
    return new DynamoDbBackend();
  }
}
