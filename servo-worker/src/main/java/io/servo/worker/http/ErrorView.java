package io.servo.worker.http;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The body of every non-2xx answer: what went wrong and what to do. */
record ErrorView(@JsonProperty("error") String error) {}
