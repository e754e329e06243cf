import { createHash } from 'node:crypto';
import type { SinkConfig } from '../config/sinks-config';
import { ALERTMANAGER_PATH, renderAlertmanager, renderAlertmanagerGroup } from './format/alertmanager';
import { renderSlack } from './format/slack';
import { renderSlackGroup } from './format/slack-group';
import { HEC_EVENT_PATH, renderHec, renderHecGroup } from './format/splunk-hec';
import { FilteredSink } from './filtered-sink';
import { HttpPostSink, parseSinkUrl, withPath } from './http-sink';
import type { Sink } from './sink';
import { WebhookSink, webhookSinkName } from './webhook-sink';

export interface SinkDefaults {
  /** `webhook_timeout`: a sink's timeout when it sets none. */
  timeoutMs: number;
  /** `external_url`: base of Alertmanager's generatorURL when the sink sets none. */
  externalUrl?: string;
}

/**
 * The default outbox name of a configured sink: type, host and path, never a secret. A Slack
 * incoming-webhook URL is itself the secret (hooks.slack.com/services/T…/B…/<token>), so it is
 * named by host and a short hash of the URL instead: stable across restarts, reveals nothing.
 */
export function defaultSinkName(sc: SinkConfig, field: string): string {
  if (sc.type === 'webhook') return webhookSinkName(sc.url, field);
  const u = parseSinkUrl(sc.url, field);
  if (sc.type === 'slack') return `slack:${u.host}#${createHash('sha256').update(sc.url).digest('hex').slice(0, 8)}`;
  return `${sc.type}:${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** One sink of the file's `sinks:` list (entry `index`), grouping as configured, wrapped in its protocol/cluster filter. */
export function createConfiguredSink(sc: SinkConfig, index: number, defaults: SinkDefaults): Sink {
  const field = `sinks[${index}].url`;
  const name = sc.name ?? defaultSinkName(sc, field);
  const timeoutMs = sc.timeoutMs ?? defaults.timeoutMs;
  const grouping = sc.grouping;
  let sink: Sink;
  switch (sc.type) {
    case 'webhook':
      sink = new WebhookSink({ url: sc.url, secret: sc.secret, timeoutMs, name, field, grouping });
      break;
    case 'slack':
      sink = new HttpPostSink({ name, url: sc.url, field, timeoutMs, render: renderSlack, grouping, renderGroup: renderSlackGroup });
      break;
    case 'splunk_hec': {
      const opts = { index: sc.index, sourcetype: sc.sourcetype, source: sc.source };
      sink = new HttpPostSink({
        name,
        url: withPath(sc.url, HEC_EVENT_PATH, field),
        field,
        timeoutMs,
        headers: { Authorization: `Splunk ${sc.token ?? ''}` },
        render: (alert) => renderHec(alert, opts),
        grouping,
        renderGroup: (group) => renderHecGroup(group, opts),
      });
      break;
    }
    case 'alertmanager': {
      const defaultGeneratorUrl = defaults.externalUrl === undefined ? undefined : `${defaults.externalUrl.replace(/\/+$/, '')}/api/v1/alerts`;
      const opts = { severity: sc.severity, labels: sc.labels, generatorUrl: sc.generatorUrl, defaultGeneratorUrl };
      sink = new HttpPostSink({
        name,
        url: withPath(sc.url, ALERTMANAGER_PATH, field),
        field,
        timeoutMs,
        headers: sc.token === undefined ? {} : { Authorization: `Bearer ${sc.token}` },
        render: (alert) => renderAlertmanager(alert, opts),
        grouping,
        renderGroup: (group) => renderAlertmanagerGroup(group, opts),
      });
      break;
    }
  }
  if (sc.protocols === undefined && sc.clusters === undefined) return sink;
  return new FilteredSink(sink, { protocols: sc.protocols, clusters: sc.clusters });
}
