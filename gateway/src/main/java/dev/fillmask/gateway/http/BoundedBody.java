package dev.fillmask.gateway.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a request body of at most {@code limit} bytes. A body that declares a larger {@code Content-Length} is
 * refused before a byte of it is read; a chunked body (no length) is counted as it arrives and refused at the first
 * byte over the limit, so no more than {@code limit} bytes are ever held.
 */
public final class BoundedBody {
    private BoundedBody() {}

    /**
     * @param contentLength the {@code Content-Length} header, or null (chunked)
     */
    public static byte[] read(String contentLength, InputStream body, int limit) throws IOException, BodyTooLargeException {
        if (contentLength != null) {
            long declared;
            try {
                declared = Long.parseLong(contentLength.trim());
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared > limit) {
                throw BodyTooLargeException.declared(declared, limit);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int total = 0;
        int n;
        while ((n = body.read(chunk, 0, Math.min(chunk.length, limit + 1 - total))) > 0) {
            total += n;
            if (total > limit) {
                throw BodyTooLargeException.counted(limit);
            }
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }
}
