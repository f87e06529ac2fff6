import { get, post } from '../api';
import { h } from '../dom';
import { isFinal, REPORT_CHOICES, type Report } from '../media';
import type { Page } from '../page';
import { errorBox, field, sleep } from '../ui';

const POLL_MS = 1_000;

/** `#/reports` (admins): request a sales report over a date range, then download the CSV. */
export const reportsPage: Page = ({ user, signal, setTitle }) => {
  setTitle('Reports');
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const type = h('select', { name: 'type' }, REPORT_CHOICES.filter((choice) => !choice.admin || user?.role === 'admin').map((choice) => h('option', { value: choice.type }, choice.label)));
  const from = h('input', { type: 'date', name: 'from', value: monthAgo, required: true, max: today });
  const to = h('input', { type: 'date', name: 'to', value: today, required: true, max: today });
  const status = h('div', { 'aria-live': 'polite', 'data-testid': 'report-status' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Request report');

  const follow = async (report: Report) => {
    for (;;) {
      status.replaceChildren(reportStatus(report));
      if (isFinal(report.state)) return;
      await sleep(POLL_MS, signal);
      report = await get<Report>(`/reports/${encodeURIComponent(report.id)}`, signal);
    }
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
          await follow(await post<Report>('/reports', { type: type.value, from: from.value, to: to.value }));
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
  return h('section', { class: 'narrow' }, h('h1', null, 'Reports'), h('p', null, 'Reports are built in the background; large ones take a few seconds.'), form, status);
};

function reportStatus(report: Report): HTMLElement {
  switch (report.state) {
    case 'ready':
      return h('p', { class: 'notice notice-success' }, 'Your report is ready: ', h('a', { href: report.downloadUrl ?? '#', download: '', 'data-testid': 'report-download' }, 'Download CSV'));
    case 'failed':
      return errorBox(new Error(`the report could not be built${report.error ? `: ${report.error}` : ''}`));
    case 'expired':
      return h('p', { class: 'notice' }, 'This report has expired; request it again.');
    default:
      return h('p', { class: 'loading', 'aria-busy': 'true' }, report.state === 'building' ? 'Building your report…' : 'Your report is queued…');
  }
}
