package dev.fillmask.engine.importer.hub;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;

/**
 * A response body written straight into a file as it arrives, and the time it last arrived: the JDK's HTTP client
 * has no read timeout, so a transfer that stalls is found by watching this and {@linkplain #abort() aborted}, which
 * closes the connection. Everything received before a break is in the file, for the next {@code Range} request.
 */
final class FileSink {
    /** What a GET did: its status, where the written bytes start in the file, and how many were written. */
    record Outcome(int status, long start, long written, boolean wrote) {}

    private final Path file;
    private final LongConsumer onBytes;
    private final CompletableFuture<Outcome> body = new CompletableFuture<>();
    private volatile long lastActivity = System.nanoTime();
    private Flow.Subscription subscription;
    private FileChannel channel;
    private boolean aborted;
    private long written;

    /** {@code onBytes}: called with the file's size after every chunk. */
    FileSink(Path file, LongConsumer onBytes) {
        this.file = file;
        this.onBytes = onBytes;
    }

    long idleNanos() {
        return System.nanoTime() - lastActivity;
    }

    /** The body goes into the file from {@code start} on: appended if {@code start > 0}, else the file starts over. */
    HttpResponse.BodySubscriber<Outcome> subscriber(int status, long start) {
        return new HttpResponse.BodySubscriber<>() {
            @Override
            public CompletionStage<Outcome> getBody() {
                return body;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                opened(s, start > 0);
            }

            @Override
            public void onNext(List<ByteBuffer> items) {
                received(items, start);
            }

            @Override
            public void onError(Throwable t) {
                failed(t);
            }

            @Override
            public void onComplete() {
                completed(status, start);
            }
        };
    }

    private synchronized void opened(Flow.Subscription s, boolean append) {
        if (aborted) {
            s.cancel();
            return;
        }
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            s.cancel();
            body.completeExceptionally(e);
            return;
        }
        subscription = s;
        s.request(1);
    }

    private synchronized void received(List<ByteBuffer> items, long start) {
        if (aborted || channel == null) {
            return;
        }
        lastActivity = System.nanoTime();
        try {
            for (ByteBuffer item : items) {
                while (item.hasRemaining()) {
                    written += channel.write(item);
                }
            }
        } catch (IOException e) {
            subscription.cancel();
            closeChannel();
            body.completeExceptionally(e);
            return;
        }
        onBytes.accept(start + written);
        subscription.request(1);
    }

    private synchronized void failed(Throwable t) {
        closeChannel();
        body.completeExceptionally(t);
    }

    private synchronized void completed(int status, long start) {
        closeChannel();
        body.complete(new Outcome(status, start, written, true));
    }

    /** Stops the transfer: the connection is dropped, what was written stays. */
    synchronized void abort() {
        aborted = true;
        if (subscription != null) {
            subscription.cancel();
        }
        closeChannel();
        body.completeExceptionally(new IOException("transfer aborted"));
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Only a failed flush of metadata can end up here; the size check after the transfer catches a loss.
            }
            channel = null;
        }
    }
}
