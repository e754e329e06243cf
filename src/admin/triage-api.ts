import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadTooLargeError } from '../core/errors';
import type { FilterRule } from '../detect/filter-rules';
import { readBody } from '../receiver/http-body';
import { alertJson, fileRuleJson, ruleJson, triageJson } from './alerts-api';
import { Triage, TriageConflictError, type TriageOptions } from './triage';
import { parseTriageBody, parseUser, TriageInputError, USER_HEADER, type ExpectInput } from './triage-input';
import type { BaselineStore } from '../store/store';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';

/** Bodies of ack and expect are a comment and a date: a few KB is plenty. */
const MAX_BODY_BYTES = 64 * 1024;

const ALERT_ACTION = /^\/api\/v1\/alerts\/([^/]+)\/(ack|expect)$/;
const ALERT_ONE = /^\/api\/v1\/alerts\/([^/]+)$/;
const RULE_ONE = /^\/api\/v1\/rules\/([^/]+)$/;

export interface TriageApiOptions extends TriageOptions {
  /** The rules of rules_file in force, listed beside the stored ones. */
  fileRules?: () => { path: string; rules: readonly FilterRule[] } | null;
}

type Send = (res: ServerResponse, status: number, body: unknown) => void;

/**
 * The lifecycle routes of the admin API (README "Alert lifecycle"): POST
 * /api/v1/alerts/{id}/ack|expect, GET /api/v1/alerts/{id}, GET /api/v1/rules and DELETE
 * /api/v1/rules/{id}. The admin server checks the token before handing a request here.
 */
export class TriageApi {
  private readonly triage: Triage;
  private readonly now: () => number;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: TriageApiOptions,
    logger: Logger,
    telemetry: Telemetry,
    private readonly send: Send,
  ) {
    this.triage = new Triage(store, opts, logger, telemetry);
    this.now = opts.now ?? Date.now;
  }

  /** Answers the request and returns true when the path is one of these routes. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const action = ALERT_ACTION.exec(path);
    const alert = action ? null : ALERT_ONE.exec(path);
    const rule = RULE_ONE.exec(path);
    const method = req.method ?? 'GET';
    try {
      if (action) return this.only(res, method, 'POST') || (await this.change(req, res, decode(action[1]), action[2] as 'ack' | 'expect'));
      if (alert) return this.only(res, method, 'GET', 'HEAD') || (await this.one(res, decode(alert[1])));
      if (path === '/api/v1/rules') return this.only(res, method, 'GET', 'HEAD') || (await this.rules(res));
      if (rule) return this.only(res, method, 'DELETE') || (await this.deleteRule(req, res, decode(rule[1])));
      return false;
    } catch (err) {
      if (err instanceof TriageInputError) return this.answer(res, 400, { error: err.message });
      if (err instanceof TriageConflictError) return this.answer(res, 409, { error: err.message });
      if (err instanceof PayloadTooLargeError) return this.answer(res, 413, { error: `body: at most ${MAX_BODY_BYTES} bytes` });
      throw err;
    }
  }

  private async change(req: IncomingMessage, res: ServerResponse, id: string, action: 'ack' | 'expect'): Promise<boolean> {
    const by = parseUser(req.headers[USER_HEADER]);
    const input = parseTriageBody((await readBody(req, MAX_BODY_BYTES)).toString('utf8'), action, this.now());
    const done = action === 'ack' ? await this.triage.ack(id, by, input) : await this.triage.expect(id, by, input as ExpectInput);
    if (done === null) return this.answer(res, 404, { error: `no alert ${id}` });
    const nowMs = this.now();
    return this.answer(res, 200, { alert: alertJson(done.alert, nowMs), before: triageJson(done.before), rule: done.rule && ruleJson(done.rule, nowMs) });
  }

  private async one(res: ServerResponse, id: string): Promise<boolean> {
    const found = await this.store.getAlert(id);
    if (found === null) return this.answer(res, 404, { error: `no alert ${id}` });
    return this.answer(res, 200, alertJson(found, this.now()));
  }

  /** Stored rules, then the rules file's: one rule set, file first when both match. */
  private async rules(res: ServerResponse): Promise<boolean> {
    const nowMs = this.now();
    const stored = (await this.triage.listRules()).map((r) => ruleJson(r, nowMs));
    const file = this.opts.fileRules?.() ?? null;
    const fromFile = file === null ? [] : file.rules.map((r) => fileRuleJson(r, file.path, nowMs));
    return this.answer(res, 200, { rules: [...stored, ...fromFile] });
  }

  private async deleteRule(req: IncomingMessage, res: ServerResponse, id: string): Promise<boolean> {
    const by = parseUser(req.headers[USER_HEADER]);
    if (await this.triage.deleteRule(id, by)) return this.answer(res, 200, { deleted: id });
    const inFile = this.opts.fileRules?.()?.rules.some((r) => r.label === id) ?? false;
    if (inFile) return this.answer(res, 409, { error: `rule ${id} is in rules_file: edit the file to remove it` });
    return this.answer(res, 404, { error: `no stored rule ${id}` });
  }

  /** A wrong method on a known path: 405 (true: answered). */
  private only(res: ServerResponse, method: string, ...allowed: string[]): boolean {
    if (allowed.includes(method)) return false;
    res.setHeader('Allow', allowed.join(', '));
    return this.answer(res, 405, { error: `method not allowed; use ${allowed.join(' or ')}` });
  }

  private answer(res: ServerResponse, status: number, body: unknown): true {
    this.send(res, status, body);
    return true;
  }
}

/** A path segment; one that does not decode names nothing (404 rather than 500). */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
