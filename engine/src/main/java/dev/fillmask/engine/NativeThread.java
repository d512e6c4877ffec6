package dev.fillmask.engine;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one thread on which an engine calls ONNX Runtime, with a large stack. ONNX Runtime runs part of every
 * inference on the calling thread, and with BERT-base it needs more native stack than a JVM thread's default 1 MB in
 * some processes (seen here: a SIGSEGV, no Java error, in JVMs started with a long command line, at session creation;
 * 3 MB was enough). The caller's thread (a Flink task thread, the CLI's main thread) is not ours to size, so the
 * engine brings its own. The stack is reserved address space, committed only as far as it is used; handing a batch
 * to it costs microseconds against milliseconds of inference.
 */
final class NativeThread implements AutoCloseable {
    static final long STACK_BYTES = 64L << 20;
    private static final AtomicInteger COUNT = new AtomicInteger();

    private final ExecutorService executor;

    NativeThread() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(null, task, "fill-mask-engine-" + COUNT.incrementAndGet(), STACK_BYTES);
            thread.setDaemon(true);
            thread.setContextClassLoader(loader);
            return thread;
        });
    }

    /** Runs {@code call} on the thread and returns its result; its exceptions reach the caller as they are. */
    <T> T call(Callable<T> call) {
        Future<T> future;
        try {
            future = executor.submit(call);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the engine is closed", e);
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the engine", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause.getMessage(), cause);
        }
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
