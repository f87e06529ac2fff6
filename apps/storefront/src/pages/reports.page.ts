import type { ReportView } from '@tenk/contracts/api';
import { get, post } from '../api';
import { h } from '../dom';
import { isFinal, REPORT_CHOICES, reportLabel } from '../media';
import type { Page } from '../page';
import { errorBox, field, formatDate, notice, sleep } from '../ui';

const POLL_MS = 1_000;

/**
 * `#/reports`: request a CSV report over a date range (sales over every customer for admins,
 * one's own orders for anyone), watch it being built, download it.
 */
export const reportsPage: Page = ({ user, signal, setTitle }) => {
  setTitle('Reports');
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const choices = REPORT_CHOICES.filter((choice) => !choice.admin || user?.role === 'admin');
  const type = h(
    'select',
    { name: 'type' },
    choices.map((choice) => h('option', { value: choice.type }, choice.label)),
  );
  const from = h('input', { type: 'date', name: 'from', value: monthAgo, required: true, max: today });
  const to = h('input', { type: 'date', name: 'to', value: today, required: true, max: today });
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'report-status' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Request report');
  const history = h('div');

  const follow = async (report: ReportView) => {
    for (;;) {
      status.replaceChildren(reportStatus(report));
      if (isFinal(report.state)) return;
      await sleep(POLL_MS, signal);
      report = await get<ReportView>(report.url, signal);
    }
  };
  const loadHistory = async () => {
    const { items } = await get<{ items: ReportView[] }>('/reports?limit=10', signal);
    history.replaceChildren(items.length === 0 ? notice('No reports requested yet.') : h('ul', { class: 'orders' }, items.map(reportItem)));
  };

  const form = h(
    'form',
    {
      class: 'report',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (button.disabled) return;
        if (from.value > to.value) return status.replaceChildren(errorBox(new Error('the start date must not be after the end date')));
        button.disabled = true;
        try {
          await follow(await post<ReportView>('/reports', { type: type.value, from: from.value, to: to.value }));
          await loadHistory();
        } catch (error) {
          if (!signal.aborted) status.replaceChildren(errorBox(error));
        }
        button.disabled = false;
      },
    },
    field('Report', type),
    h('div', { class: 'row' }, field('From', from), field('To', to)),
    button,
  );
  void loadHistory().catch((error: unknown) => {
    if (!signal.aborted) history.replaceChildren(errorBox(error));
  });
  return h(
    'section',
    { class: 'narrow' },
    h('h1', null, 'Reports'),
    h('p', null, 'A report is built in the background from the shop’s sales; it is ready in a few seconds and kept for a while.'),
    form,
    status,
    h('h2', null, 'Recent reports'),
    history,
  );
};

function reportStatus(report: ReportView): HTMLElement {
  switch (report.state) {
    case 'ready':
      return notice(h('span', null, `Your report is ready (${report.rows ?? 0} rows): `, downloadLink(report)), 'success');
    case 'failed':
      return errorBox(new Error(`the report could not be built${report.error ? `: ${report.error}` : ''}`));
    case 'expired':
      return notice('This report has expired; request it again.');
    default:
      return h(
        'p',
        { class: 'loading', 'aria-busy': 'true' },
        report.state === 'building' ? 'Building your report…' : 'Your report is queued…',
      );
  }
}

function reportItem(report: ReportView): HTMLElement {
  return h(
    'li',
    { 'data-report-id': report.id },
    h('strong', null, reportLabel(report.type)),
    h('span', null, `${report.from} → ${report.to}`),
    h('span', { class: `badge badge-${report.state}` }, report.state),
    h('span', { class: 'muted' }, formatDate(report.createdAt)),
    report.state === 'ready' ? downloadLink(report) : null,
  );
}

function downloadLink(report: ReportView): HTMLElement {
  return h(
    'a',
    {
      href: report.downloadUrl ?? report.url,
      download: `tenk-${report.type}-${report.from}-to-${report.to}.csv`,
      'data-testid': 'report-download',
    },
    'Download CSV',
  );
}
