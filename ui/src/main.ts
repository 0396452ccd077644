import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import "./lib/settings/theme";

const target = document.getElementById("app");
if (!target) throw new Error("missing #app");

export default mount(App, { target });
