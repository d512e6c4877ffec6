package dev.fillmask.job.security;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Looks for secrets in everything a test shows: every log event of this JVM (while it watches, the root logger is at
 * INFO and Kafka's security and network code, the Flink Kafka connector and this project at DEBUG; the console keeps
 * WARN), everything written to {@code System.out} and {@code System.err}, and any text handed to {@link #scan} (REST
 * answers, metrics, files). A finding names the secret by its label and the place, never by its value. It also counts
 * the log events that contain given markers, so a test can show the watch saw what it meant to (e.g. Kafka's masked
 * config dumps).
 */
public final class SecretWatch implements AutoCloseable {
    private static final String[] DEBUG_LOGGERS = {
        "org.apache.kafka.common.security", "org.apache.kafka.common.network", "org.apache.flink.connector.kafka",
        "dev.fillmask"};
    private static final int CONSOLE_LIMIT = 64 << 20;

    private final Map<String, String> secretsByLabel;
    private final Map<String, AtomicLong> markerCounts = new LinkedHashMap<>();
    private final List<String> findings = new ArrayList<>();
    private final AtomicLong logEvents = new AtomicLong();
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final LoggerContext logContext;
    private final Appender appender;
    private boolean closed;

    private SecretWatch(Map<String, String> secretsByLabel, List<String> markers) {
        this.secretsByLabel = Map.copyOf(secretsByLabel);
        markers.forEach(m -> markerCounts.put(m, new AtomicLong()));
        System.setOut(new PrintStream(new Tee(originalOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr), true, StandardCharsets.UTF_8));

        logContext = (LoggerContext) LogManager.getContext(false);
        org.apache.logging.log4j.core.config.Configuration config = logContext.getConfiguration();
        appender = new AbstractAppender("secret-watch", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                onLogEvent(event);
            }
        };
        appender.start();
        config.addAppender(appender);
        LoggerConfig root = config.getRootLogger();
        for (Map.Entry<String, Appender> existing : Map.copyOf(root.getAppenders()).entrySet()) {
            // The console stays as quiet as before: WARN and above.
            root.removeAppender(existing.getKey());
            root.addAppender(existing.getValue(), Level.WARN, null);
        }
        root.addAppender(appender, null, null);
        root.setLevel(Level.INFO);
        for (String name : DEBUG_LOGGERS) {
            LoggerConfig logger = config.getLoggerConfig(name);
            if (logger.getName().equals(name)) {
                logger.setLevel(Level.DEBUG);
            } else {
                config.addLogger(name, LoggerConfig.newBuilder().withLoggerName(name).withLevel(Level.DEBUG)
                        .withAdditivity(true).withConfig(config).build());
            }
        }
        logContext.updateLoggers();
    }

    /**
     * Starts watching for each value of {@code secretsByLabel}; counts the log events containing each of
     * {@code markers}.
     */
    public static SecretWatch start(Map<String, String> secretsByLabel, List<String> markers) {
        return new SecretWatch(secretsByLabel, markers);
    }

    /** Records a finding for each secret that occurs in {@code text}; {@code where} names the place. */
    public void scan(String where, String text) {
        if (text == null) {
            return;
        }
        for (Map.Entry<String, String> secret : secretsByLabel.entrySet()) {
            if (text.contains(secret.getValue())) {
                String line = lineAround(text, text.indexOf(secret.getValue())).replace(secret.getValue(), "<"
                        + secret.getKey() + ">");
                synchronized (findings) {
                    findings.add("the " + secret.getKey() + " in " + where + ": " + line);
                }
            }
        }
    }

    /** What was found so far, the console included. */
    public List<String> findings() {
        synchronized (console) {
            scan("System.out/System.err", console.toString(StandardCharsets.UTF_8));
            console.reset();
        }
        synchronized (findings) {
            return List.copyOf(findings);
        }
    }

    public long logEvents() {
        return logEvents.get();
    }

    /** How many log events contained {@code marker} (one of those given to {@link #start}). */
    public long logEventsWith(String marker) {
        return markerCounts.get(marker).get();
    }

    /** Stops watching: the streams and the logging configuration are as they were. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        findings();
        System.setOut(originalOut);
        System.setErr(originalErr);
        logContext.reconfigure();
        appender.stop();
    }

    private void onLogEvent(LogEvent event) {
        logEvents.incrementAndGet();
        StringBuilder text = new StringBuilder(event.getLoggerName()).append(' ')
                .append(event.getMessage().getFormattedMessage());
        event.getContextData().forEach((k, v) -> text.append(' ').append(k).append('=').append(v));
        if (event.getThrown() != null) {
            StringWriter trace = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(trace));
            text.append('\n').append(trace);
        }
        String s = text.toString();
        for (Map.Entry<String, AtomicLong> marker : markerCounts.entrySet()) {
            if (s.contains(marker.getKey())) {
                marker.getValue().incrementAndGet();
            }
        }
        scan("a log event of " + event.getLoggerName() + " (" + event.getLevel() + ")", s);
    }

    private static String lineAround(String text, int at) {
        int start = Math.max(text.lastIndexOf('\n', at) + 1, at - 200);
        int end = text.indexOf('\n', at);
        end = end < 0 ? Math.min(text.length(), at + 200) : Math.min(end, at + 200);
        return text.substring(start, end);
    }

    /** Passes everything on, and keeps a copy (up to a limit) for {@link #findings}. */
    private final class Tee extends OutputStream {
        private final OutputStream target;

        Tee(OutputStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            synchronized (console) {
                if (console.size() < CONSOLE_LIMIT) {
                    console.write(b);
                }
            }
            try {
                target.write(b);
            } catch (java.io.IOException ignored) {
                // the console is gone: nothing to show anyway
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (console) {
                if (console.size() < CONSOLE_LIMIT) {
                    console.write(b, off, len);
                }
            }
            try {
                target.write(b, off, len);
            } catch (java.io.IOException ignored) {
                // the console is gone: nothing to show anyway
            }
        }

        @Override
        public void flush() {
            try {
                target.flush();
            } catch (java.io.IOException ignored) {
                // as above
            }
        }
    }
}
