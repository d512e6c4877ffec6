package dev.fillmask.udf.sql;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.types.logical.LogicalType;

import java.util.List;
import java.util.Set;

/**
 * The model provider {@code fill-mask}: {@code CREATE MODEL m INPUT (inputs STRING) OUTPUT (answer STRING) WITH
 * ('provider' = 'fill-mask')}, then {@code ML_PREDICT(TABLE t, MODEL m, DESCRIPTOR(text))}. Its options are
 * {@link FillMaskModelOptions}; its inputs {@link RequestColumns}, its outputs {@link AnswerColumns}. The model runs
 * in the job's own slots, one engine per subtask.
 */
public final class FillMaskModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "fill-mask";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return FillMaskModelOptions.all();
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate();
        ModelSettings settings;
        try {
            settings = ModelSettings.of(helper.getOptions());
        } catch (IllegalArgumentException e) {
            throw new ValidationException("fill-mask model " + context.getObjectIdentifier().asSummaryString() + ": "
                    + e.getMessage(), e);
        }
        ResolvedSchema input = context.getCatalogModel().getResolvedInputSchema();
        ResolvedSchema output = context.getCatalogModel().getResolvedOutputSchema();
        return new FillMaskModelProvider(settings,
                RequestColumns.of(input.getColumnNames(), types(input)),
                AnswerColumns.of(output.getColumnNames(), types(output)),
                context.getConfiguration().get(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_MAX_CONCURRENT_OPERATIONS));
    }

    /** Logical types only: the functions are serialized into the job graph, a ResolvedSchema is not. */
    private static List<LogicalType> types(ResolvedSchema schema) {
        return schema.getColumns().stream().map(Column::getDataType).map(d -> d.getLogicalType()).toList();
    }
}
