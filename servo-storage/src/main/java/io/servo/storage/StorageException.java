package io.servo.storage;

/** The database could not be reached or refused a statement; callers treat it as transient. */
public final class StorageException extends RuntimeException {
  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
