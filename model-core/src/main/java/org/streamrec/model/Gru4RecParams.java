package org.streamrec.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * GRU4Rec hyperparameters. Names and defaults follow the official implementation
 * (hidasib/GRU4Rec_PyTorch_Official, {@code GRU4Rec.__init__}): one GRU layer of {@code layers} units,
 * constrained embedding on, cross-entropy loss, 2048 shared negatives.
 * Parameter files use the official names as {@code key=value} lines ({@code layers=512}); see
 * {@code resources/params/}. Immutable; {@link #with(String, String)} returns a modified copy.
 */
public record Gru4RecParams(
        int layers,
        String loss,
        int batchSize,
        double dropoutPEmbed,
        double dropoutPHidden,
        double learningRate,
        double momentum,
        double sampleAlpha,
        int nSample,
        int embedding,
        boolean constrainedEmbedding,
        int nEpochs,
        double bpreg,
        double eluParam,
        double logq,
        int sampleCacheMaxSize,
        long seed) {

    public static final String CROSS_ENTROPY = "cross-entropy";
    public static final String BPR_MAX = "bpr-max";

    /** Keys in file order; the official names with their official defaults. */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("layers", "100");
        DEFAULTS.put("loss", CROSS_ENTROPY);
        DEFAULTS.put("batch_size", "64");
        DEFAULTS.put("dropout_p_embed", "0.0");
        DEFAULTS.put("dropout_p_hidden", "0.0");
        DEFAULTS.put("learning_rate", "0.05");
        DEFAULTS.put("momentum", "0.0");
        DEFAULTS.put("sample_alpha", "0.5");
        DEFAULTS.put("n_sample", "2048");
        DEFAULTS.put("embedding", "0");
        DEFAULTS.put("constrained_embedding", "true");
        DEFAULTS.put("n_epochs", "10");
        DEFAULTS.put("bpreg", "1.0");
        DEFAULTS.put("elu_param", "0.5");
        DEFAULTS.put("logq", "0.0");
        DEFAULTS.put("sample_cache_max_size", "10000000");
        DEFAULTS.put("seed", "42");
    }

    public Gru4RecParams {
        if (!CROSS_ENTROPY.equals(loss) && !BPR_MAX.equals(loss)) {
            throw new IllegalArgumentException("loss must be '" + CROSS_ENTROPY + "' or '" + BPR_MAX + "', got '" + loss + "'");
        }
        requirePositive("layers", layers);
        requirePositive("batch_size", batchSize);
        requirePositive("n_epochs", nEpochs);
        if (nSample < 0 || embedding < 0 || sampleCacheMaxSize < 0) {
            throw new IllegalArgumentException("n_sample, embedding and sample_cache_max_size must be >= 0");
        }
        if (dropoutPEmbed < 0 || dropoutPEmbed >= 1 || dropoutPHidden < 0 || dropoutPHidden >= 1) {
            throw new IllegalArgumentException("dropout probabilities must be in [0, 1)");
        }
        if (learningRate <= 0 || momentum < 0 || eluParam < 0 || bpreg < 0 || logq < 0) {
            throw new IllegalArgumentException("learning_rate must be > 0; momentum, elu_param, bpreg, logq >= 0");
        }
        if (!constrainedEmbedding && embedding == 0) {
            // The official code then feeds one-hot items straight into the GRU (GRUEmbedding); not implemented here.
            throw new IllegalArgumentException("constrained_embedding=false needs embedding > 0 "
                    + "(the one-hot GRU input variant of the official code is not implemented)");
        }
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }

    public static Gru4RecParams defaults() {
        return fromMap(Map.of());
    }

    /** Defaults overridden by {@code overrides} (official key names; unknown keys are an error). */
    public static Gru4RecParams fromMap(Map<String, String> overrides) {
        Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String key = e.getKey().trim();
            if (!DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException("unknown GRU4Rec parameter '" + key + "'; known: " + DEFAULTS.keySet());
            }
            values.put(key, e.getValue().trim());
        }
        try {
            return new Gru4RecParams(
                    parseLayers(values.get("layers")),
                    values.get("loss"),
                    Integer.parseInt(values.get("batch_size")),
                    Double.parseDouble(values.get("dropout_p_embed")),
                    Double.parseDouble(values.get("dropout_p_hidden")),
                    Double.parseDouble(values.get("learning_rate")),
                    Double.parseDouble(values.get("momentum")),
                    Double.parseDouble(values.get("sample_alpha")),
                    Integer.parseInt(values.get("n_sample")),
                    Integer.parseInt(values.get("embedding")),
                    parseBoolean(values.get("constrained_embedding")),
                    Integer.parseInt(values.get("n_epochs")),
                    Double.parseDouble(values.get("bpreg")),
                    Double.parseDouble(values.get("elu_param")),
                    Double.parseDouble(values.get("logq")),
                    Integer.parseInt(values.get("sample_cache_max_size")),
                    Long.parseLong(values.get("seed")));
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("bad GRU4Rec parameter value: " + ex.getMessage(), ex);
        }
    }

    /** Reads a {@code key=value} file ({@code #} comments allowed). */
    public static Gru4RecParams load(Path file) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return fromProperties(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read parameter file " + file, e);
        }
    }

    /** Loads a parameter file shipped in {@code model-core/src/main/resources/params/}, e.g. {@code diginetica-bprmax}. */
    public static Gru4RecParams builtIn(String name) {
        String resource = "/params/" + name + ".properties";
        try (InputStream in = Gru4RecParams.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no built-in parameter file " + resource);
            }
            return fromProperties(new StringReader(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Gru4RecParams fromProperties(Reader reader) throws IOException {
        Properties p = new Properties();
        p.load(reader);
        Map<String, String> map = new LinkedHashMap<>();
        for (String key : p.stringPropertyNames()) {
            map.put(key, p.getProperty(key));
        }
        return fromMap(map);
    }

    /** A copy with one parameter changed (official key name), e.g. from a command-line flag. */
    public Gru4RecParams with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(toMap());
        m.put(key, value);
        return fromMap(m);
    }

    public Gru4RecParams withOverrides(Map<String, String> overrides) {
        Map<String, String> m = new LinkedHashMap<>(toMap());
        m.putAll(overrides);
        return fromMap(m);
    }

    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("layers", Integer.toString(layers));
        m.put("loss", loss);
        m.put("batch_size", Integer.toString(batchSize));
        m.put("dropout_p_embed", fmt(dropoutPEmbed));
        m.put("dropout_p_hidden", fmt(dropoutPHidden));
        m.put("learning_rate", fmt(learningRate));
        m.put("momentum", fmt(momentum));
        m.put("sample_alpha", fmt(sampleAlpha));
        m.put("n_sample", Integer.toString(nSample));
        m.put("embedding", Integer.toString(embedding));
        m.put("constrained_embedding", Boolean.toString(constrainedEmbedding));
        m.put("n_epochs", Integer.toString(nEpochs));
        m.put("bpreg", fmt(bpreg));
        m.put("elu_param", fmt(eluParam));
        m.put("logq", fmt(logq));
        m.put("sample_cache_max_size", Integer.toString(sampleCacheMaxSize));
        m.put("seed", Long.toString(seed));
        return m;
    }

    /** The {@code key=value} text that {@link #fromProperties} reads back to an equal record. */
    public String toPropertiesText() {
        StringWriter w = new StringWriter();
        for (Map.Entry<String, String> e : new TreeMap<>(toMap()).entrySet()) {
            w.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return w.toString();
    }

    public boolean isBprMax() {
        return BPR_MAX.equals(loss);
    }

    /** Width of the GRU input: the hidden size when constrained (input rows are output embedding rows). */
    public int inputDim() {
        return constrainedEmbedding ? layers : embedding;
    }

    private static String fmt(double d) {
        return Double.toString(d);
    }

    private static int parseLayers(String v) {
        // Official files write layers as a list ("[512]" or "512"); only one GRU layer is implemented.
        String s = v.replace("[", "").replace("]", "").trim();
        if (s.contains(",") || s.contains("/")) {
            throw new IllegalArgumentException("only one GRU layer is implemented, got layers=" + v);
        }
        return Integer.parseInt(s);
    }

    private static boolean parseBoolean(String v) {
        String s = v.toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("1")) {
            return true;
        }
        if (s.equals("false") || s.equals("0")) {
            return false;
        }
        throw new IllegalArgumentException("bad boolean '" + v + "'");
    }
}
