import {
  type Attributes,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { operationById } from '../contract/operations.js';
import type { Logger } from './log.js';
import type { RequestTracer } from './request-record.js';

/** Ends a client span with what the call came to. */
export type EndSpan = (outcome: { status?: number; error?: unknown }) => void;

/** Tracing as the gateway uses it; only exists when an exporter is configured (off by default: no SDK at all). */
export interface Tracing {
  /** The gateway's span around a request, continuing the client's `traceparent`. */
  readonly request: RequestTracer;
  /**
   * A client span (an upstream or Redis call) under the request's span; none outside a request. With
   * `headers`, the span's `traceparent`/`tracestate` are written into them for the upstream.
   */
  client(name: string, attributes: Attributes, headers?: Record<string, string>): EndSpan | undefined;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const headerGetter: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

/** `OTEL_TRACES_EXPORTER`: `otlp` and/or `console`; unset or `none` (the default here): tracing is off. */
function exportersOf(env: Record<string, string | undefined>, logger: Logger): SpanExporter[] {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return [];
  const names = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n && n !== 'none');
  return names.flatMap((name): SpanExporter[] => {
    if (name === 'otlp') {
      const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim().replace(/\/+$/, '');
      const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || (base ? `${base}/v1/traces` : undefined);
      return [new OTLPTraceExporter(url ? { url } : {})];
    }
    if (name === 'console') return [new ConsoleSpanExporter()];
    // As the OpenTelemetry SDK does: an exporter it cannot make is skipped with a warning, not a failed start.
    logger.warn('tracing: unsupported OTEL_TRACES_EXPORTER value skipped', {
      exporter: name,
      supported: 'otlp, console, none',
    });
    return [];
  });
}

function endWith(span: Span, outcome: { status?: number; error?: unknown }): void {
  if (outcome.status !== undefined) span.setAttribute('http.response.status_code', outcome.status);
  if (outcome.error !== undefined) {
    span.recordException(outcome.error instanceof Error ? outcome.error : String(outcome.error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (outcome.status !== undefined && outcome.status >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Starts the OpenTelemetry SDK when `OTEL_TRACES_EXPORTER` names an exporter (configured by the standard
 * `OTEL_*` variables: endpoint, headers, service name, resource attributes, sampler, batch delay);
 * otherwise answers undefined and nothing of the SDK runs.
 */
export function startTracing(
  env: Record<string, string | undefined>,
  build: { version: string },
  logger: Logger,
): Tracing | undefined {
  const exporters = exportersOf(env, logger);
  if (exporters.length === 0) return undefined;
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'zpe-gateway', 'service.version': build.version }))
    .merge(detectResources({ detectors: [envDetector] }));
  const spanProcessors: SpanProcessor[] = exporters.map((exporter) => new BatchSpanProcessor(exporter));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  // The context manager (AsyncLocalStorage) is what lets an upstream or Redis call find its request's span.
  provider.register();
  const tracer = provider.getTracer('zpe-gateway', build.version);
  const propagator = new W3CTraceContextPropagator();
  logger.info('tracing on', { exporters: env.OTEL_TRACES_EXPORTER });

  const request: RequestTracer = async (incoming, next) => {
    const parent = propagator.extract(ROOT_CONTEXT, incoming.headers, headerGetter);
    const path = new URL(incoming.url).pathname;
    const span = tracer.startSpan(
      `${incoming.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': incoming.method, 'url.path': path } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } catch (err) {
      endWith(span, { error: err });
      throw err;
    }
    return {
      traceId: span.spanContext().traceId,
      end(record) {
        const operation = record.operation ? operationById(record.operation) : undefined;
        if (operation) span.updateName(`${record.method} ${operation.path}`);
        const attributes: Attributes = {};
        if (record.operation) attributes['zpe.operation'] = record.operation;
        if (operation) attributes['http.route'] = operation.path;
        if (record.backend) attributes['zpe.backend'] = record.backend;
        if (record.routeReason) attributes['zpe.route_reason'] = record.routeReason;
        attributes['zpe.request_id'] = record.requestId;
        span.setAttributes(attributes);
        endWith(span, { status: record.status });
      },
    };
  };

  return {
    request,
    client(name, attributes, headers) {
      const active = context.active();
      if (!trace.getSpan(active)) return undefined;
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, active);
      if (headers) propagator.inject(trace.setSpan(active, span), headers, { set: (c, k, v) => (c[k] = v) });
      return (outcome) => endWith(span, outcome);
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
