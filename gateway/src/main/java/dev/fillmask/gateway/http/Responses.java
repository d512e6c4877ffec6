package dev.fillmask.gateway.http;

import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/** Writes a JSON answer and ends the exchange; a caller who has gone away is no error of the gateway's. */
final class Responses {
    private Responses() {}

    static void json(HttpExchange exchange, int status, byte[] body, Map<String, String> headers) {
        try {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        } catch (IOException e) {
            // The caller closed the connection: nobody is left to tell.
        } finally {
            exchange.close();
        }
    }

    /** {@code {"error": message}}, written by the job's codec so that it reads as the job's own error answers. */
    static void error(HttpExchange exchange, FillMaskCodec codec, int status, String message,
                      Map<String, String> headers) {
        json(exchange, status, codec.writeAnswer(FillMaskAnswer.error(message)), headers);
    }
}
