import { h } from '../dom';
import type { Page } from '../page';
import { href, safeNext } from '../router';
import { signIn, signUp } from '../session';
import { errorBox, field } from '../ui';

/** `#/signin?next=/checkout`: sign in, then go where the visitor was going. */
export const signInPage: Page = ({ route, navigate, setTitle }) => {
  setTitle('Sign in');
  const next = safeNext(route.query.get('next'));
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'username', maxlength: 254 });
  const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'current-password', maxlength: 200 });
  return accountForm({
    title: 'Sign in',
    fields: [field('Email', email), field('Password', password)],
    submitLabel: 'Sign in',
    footer: h(
      'p',
      null,
      'New here? ',
      h('a', { href: href('/signup', { next: next === '/' ? undefined : next }) }, 'Create an account'),
      '.',
    ),
    submit: async () => {
      await signIn(email.value.trim(), password.value);
      navigate(next);
    },
  });
};

/** `#/signup`: create a customer account (signed in at once). */
export const signUpPage: Page = ({ route, navigate, setTitle }) => {
  setTitle('Create an account');
  const next = safeNext(route.query.get('next'));
  const name = h('input', { type: 'text', name: 'name', required: true, autocomplete: 'name', maxlength: 100 });
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email', maxlength: 254 });
  const password = h('input', {
    type: 'password',
    name: 'password',
    required: true,
    autocomplete: 'new-password',
    minlength: 10,
    maxlength: 72,
  });
  return accountForm({
    title: 'Create an account',
    fields: [field('Name', name), field('Email', email), field('Password', password, '10 to 72 characters.')],
    submitLabel: 'Create account',
    footer: h(
      'p',
      null,
      'Already have an account? ',
      h('a', { href: href('/signin', { next: next === '/' ? undefined : next }) }, 'Sign in'),
      '.',
    ),
    submit: async () => {
      await signUp(name.value.trim(), email.value.trim(), password.value);
      navigate(next);
    },
  });
};

interface AccountFormOptions {
  title: string;
  fields: HTMLElement[];
  submitLabel: string;
  footer: HTMLElement;
  submit(): Promise<void>;
}

function accountForm(options: AccountFormOptions): HTMLElement {
  const status = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'primary' }, options.submitLabel);
  const form = h(
    'form',
    {
      class: 'account',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        if (button.disabled) return;
        button.disabled = true;
        status.replaceChildren();
        try {
          await options.submit();
        } catch (error) {
          status.replaceChildren(errorBox(error));
          button.disabled = false;
        }
      },
    },
    options.fields,
    button,
  );
  return h('section', { class: 'narrow' }, h('h1', null, options.title), form, status, options.footer);
}
