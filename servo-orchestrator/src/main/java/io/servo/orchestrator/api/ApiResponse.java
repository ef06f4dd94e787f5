package io.servo.orchestrator.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A successful answer: status and JSON body. */
record ApiResponse(int status, ObjectNode body) {}
